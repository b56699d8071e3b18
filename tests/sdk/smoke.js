// make smoke: the post-deploy check. Drives a deployed stack (or make run) through Kibo's own SDK
// as a storefront would: app token, add account, Create-Login, sign in, refresh, log out. Verifies
// the shopper's JWT against the stack's published JWKS, then deletes what it made (deleteAccount:
// the account with its login, sessions and codes), so a run leaves nothing behind. A client
// without customer:account:delete cannot delete: the run then locks the login instead, so
// nothing it left can sign in, and says which account (smoke-<run>@smoke.example.com) stays.
// Usage: API=https://... CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... node smoke.js
// Prints one line per step and, last, one JSON line with the run's figures; exits 1 on a failure.
const crypto = require('node:crypto')
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { status } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE } = process.env
const RUN = `${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}`
const EMAIL = `smoke-${RUN}@smoke.example.com`
const PASSWORD = `smoke ${crypto.randomBytes(12).toString('base64url')}`
const steps = []

async function step(name, action) {
  const started = performance.now()
  const result = await action()
  const ms = Math.round(performance.now() - started)
  steps.push({ name, ms })
  console.log(`ok  ${name} (${ms} ms)`)
  return result
}

function check(condition, message) {
  if (!condition) throw new Error(message)
}

// The JWT's ES256 signature against the key its kid names in the stack's JWKS, and its claims.
async function verifyJwt(token, jwks, userId) {
  const [header64, payload64, signature64] = token.split('.')
  const header = JSON.parse(Buffer.from(header64, 'base64url'))
  const claims = JSON.parse(Buffer.from(payload64, 'base64url'))
  check(header.alg === 'ES256', `the JWT is ${header.alg}, not ES256`)
  const jwk = jwks.keys.find((key) => key.kid === header.kid)
  check(jwk, `the JWKS has no key ${header.kid}`)
  const valid = crypto.verify(
    'sha256',
    Buffer.from(`${header64}.${payload64}`),
    { key: crypto.createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature64, 'base64url'),
  )
  check(valid, 'the JWT signature does not verify against the JWKS')
  const now = Date.now() / 1000
  check(claims.sub === userId, `the JWT is for ${claims.sub}, not ${userId}`)
  check(claims.exp > now && claims.nbf <= now + 60, 'the JWT is not valid now')
  check(claims.iss && claims.aud, 'the JWT has no issuer or audience')
  return { kid: header.kid, iss: claims.iss }
}

// Kibo's SDK has no log-out call (the operation is ours): a plain request, as a storefront's would be.
async function logOutEverywhere(appToken, refreshToken) {
  const response = await fetch(`${API}/api/commerce/customer/authtickets?scope=global`, {
    method: 'DELETE',
    headers: {
      authorization: `Bearer ${appToken}`,
      'content-type': 'application/json',
      'x-vol-tenant': TENANT,
      'x-vol-site': SITE,
    },
    body: JSON.stringify({ refreshToken }),
  })
  check(response.status === 204, `log out answered ${response.status}`)
}

async function main() {
  for (const name of ['API', 'CLIENT_ID', 'CLIENT_SECRET', 'TENANT', 'SITE']) {
    check(process.env[name], `${name} is not set`)
  }
  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await step('app token (APIAuthClient.authenticate)', () => auth.authenticate())
  const as = (accessToken) =>
    new Configuration({ apiHost: API, tenantId: Number(TENANT), siteId: Number(SITE), accessToken })
  const accounts = new CustomerAccountApi(as(appTicket.access_token))
  const tickets = new StorefrontAuthTicketApi(as(appTicket.access_token))

  const account = await step('add account (addAccount)', () =>
    accounts.addAccount({ customerAccount: { emailAddress: EMAIL, firstName: 'Smoke', lastName: RUN } }),
  )
  let cleanedUp = false
  const sessions = []
  try {
    const created = await step('Create-Login (addLoginToExistingCustomer)', () =>
      accounts.addLoginToExistingCustomer({
        accountId: account.id,
        customerLoginInfo: { emailAddress: EMAIL, password: PASSWORD },
      }),
    )
    sessions.push(created.refreshToken)
    check(created.customerAccount.isAnonymous === false, 'Create-Login left the account anonymous')
    const signedIn = await step('sign in (createUserAuthTicket)', () =>
      tickets.createUserAuthTicket({ customerUserAuthInfo: { username: EMAIL, password: PASSWORD } }),
    )
    sessions.push(signedIn.refreshToken)
    const refreshed = await step('refresh (refreshUserAuthTicket)', () =>
      tickets.refreshUserAuthTicket({ refreshToken: signedIn.refreshToken }),
    )
    sessions[1] = refreshed.refreshToken
    check(refreshed.refreshToken !== signedIn.refreshToken, 'the refresh token did not rotate')
    const jwks = await step('JWKS (/.well-known/jwks.json)', async () => {
      const response = await fetch(`${API}/.well-known/jwks.json`)
      check(response.ok, `the JWKS answered ${response.status}`)
      return response.json()
    })
    const verified = await step('JWT verified against the JWKS', () =>
      verifyJwt(refreshed.jwtAccessToken, jwks, created.userId),
    )
    const current = await step('current account with the JWT (getCurrentAccount)', () =>
      new CustomerAccountApi(as(refreshed.jwtAccessToken)).getCurrentAccount({ responseFields: 'id,emailAddress' }),
    )
    check(current.id === account.id, `the JWT named account ${current.id}, not ${account.id}`)
    await step('log out everywhere (DELETE authtickets?scope=global)', () =>
      logOutEverywhere(appTicket.access_token, refreshed.refreshToken),
    )
    const afterLogOut = await status(() => tickets.refreshUserAuthTicket({ refreshToken: refreshed.refreshToken }))
    check(afterLogOut === 401, `a refresh after log out answered ${afterLogOut}, not 401`)
    const left = await cleanUp(accounts, account.id)
    cleanedUp = true
    const afterCleanUp = await status(() =>
      tickets.createUserAuthTicket({ customerUserAuthInfo: { username: EMAIL, password: PASSWORD } }),
    )
    check(afterCleanUp === 401, `a sign-in after the clean-up answered ${afterCleanUp}, not 401`)
    console.log(
      JSON.stringify({ ok: true, api: API, run: RUN, accountId: account.id, left, kid: verified.kid, iss: verified.iss, steps }),
    )
  } finally {
    if (!cleanedUp) {
      // A failed run still leaves nothing behind, or at least nothing that can sign in.
      await cleanUp(accounts, account.id).catch(() => {})
    }
  }
}

// Delete the account (with its login and sessions) and check it is gone; a client that may not
// delete accounts locks the login instead. Returns what the run leaves behind.
async function cleanUp(accounts, accountId) {
  const deleted = await status(() => accounts.deleteAccount({ accountId }))
  if (deleted === 200) {
    const started = performance.now()
    const afterDelete = await status(() => accounts.getAccount({ accountId }))
    check(afterDelete === 404, `the account answered ${afterDelete} after deleteAccount, not 404`)
    const ms = Math.round(performance.now() - started)
    steps.push({ name: 'clean up: delete the account (deleteAccount)', ms })
    console.log(`ok  clean up: delete the account (deleteAccount), then getAccount 404 (${ms} ms)`)
    return 'nothing'
  }
  check(deleted === 403, `deleteAccount answered ${deleted}`)
  await step('clean up: lock the login (setLoginLocked; the client may not delete accounts)', () =>
    accounts.setLoginLocked({ accountId, body: true }),
  )
  return `account ${accountId} (${EMAIL}), locked, no session: the client lacks customer:account:delete`
}

main().catch(async (error) => {
  const detail = error.response
    ? `${error.response.status} ${error.apiError ? JSON.stringify(error.apiError) : ''}`
    : String(error.message || error)
  console.error(`FAILED after ${steps.map((s) => s.name).join(', ') || 'no step'}: ${detail}`)
  process.exit(1)
})
