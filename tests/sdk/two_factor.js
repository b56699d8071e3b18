// Kibo's official SDK through a two-factor sign-in, unmodified: CustomerAccountApi.addAccountAndLogin
// from one device, StorefrontAuthTicketApi.createUserAuthTicket from another (requires2FA), then, with
// a Configuration holding the app token as appClaims and the waiting accessToken as userClaims (the SDK
// sends them as x-vol-app-claims and x-vol-user-claims), generateAndSend2faOtp, the code read from the
// local outbox file (the tenant's mailer under `make run`), and validate2FAAndCreateAuthTicket.
// Usage: API=... CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... OUTBOX=... node two_factor.js
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { codeFor } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk two-factor passphrase 42'

async function main() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE, EMAIL, OUTBOX } = process.env
  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await auth.authenticate()
  const context = { apiHost: API, tenantId: Number(TENANT), siteId: Number(SITE) }
  const app = new Configuration({ ...context, accessToken: appTicket.access_token })

  const created = await new CustomerAccountApi(app).addAccountAndLogin({
    customerAccountAndAuthInfo: {
      account: { emailAddress: EMAIL, userName: EMAIL, firstName: 'Kibo', lastName: 'Sdk' },
      password: PASSWORD,
      fingerprint: 'sdk-device-A',
      region: 'US',
    },
  })
  const tickets = new StorefrontAuthTicketApi(app)
  const fromB = { username: EMAIL, password: PASSWORD, fingerprint: 'sdk-device-B', region: 'US' }
  const waiting = await tickets.createUserAuthTicket({ customerUserAuthInfo: fromB })

  const secondFactor = new StorefrontAuthTicketApi(
    new Configuration({ ...context, appClaims: appTicket.access_token, userClaims: waiting.accessToken }),
  )
  await secondFactor.generateAndSend2faOtp()
  const { otpCode } = await codeFor(OUTBOX, waiting.userId)
  const full = await secondFactor.validate2FAAndCreateAuthTicket({
    authTicket2FAInfo: { userId: waiting.userId, otpCode },
  })
  const trusted = await tickets.createUserAuthTicket({ customerUserAuthInfo: fromB })
  console.log(JSON.stringify({ created, waiting, otpCode, full, trusted }))
}

main().catch((error) => {
  // The SDK has read the error body already: its ResponseError keeps the status and the ApiError.
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
