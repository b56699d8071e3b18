// Kibo's official SDK against this service, the shopper's side: CustomerAccountApi.addAccountAndLogin,
// then StorefrontAuthTicketApi.createUserAuthTicket (sign in) and refreshUserAuthTicket (the SDK puts
// the refresh token in the query string), then getCurrentAccount with the shopper's jwtAccessToken.
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... node sign_in.js
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk sign-in passphrase 42'

async function main() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE, EMAIL } = process.env
  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await auth.authenticate()
  const as = (accessToken) =>
    new Configuration({ apiHost: API, tenantId: Number(TENANT), siteId: Number(SITE), accessToken })
  const app = as(appTicket.access_token)

  const created = await new CustomerAccountApi(app).addAccountAndLogin({
    customerAccountAndAuthInfo: {
      account: { emailAddress: EMAIL, userName: EMAIL, firstName: 'Kibo', lastName: 'Sdk' },
      password: PASSWORD,
      fingerprint: 'sdk-device',
      region: 'US',
    },
  })
  const tickets = new StorefrontAuthTicketApi(app)
  const signedIn = await tickets.createUserAuthTicket({
    customerUserAuthInfo: { username: EMAIL, password: PASSWORD, fingerprint: 'sdk-device', region: 'US' },
  })
  const refreshed = await tickets.refreshUserAuthTicket({ refreshToken: signedIn.refreshToken })
  // With a shopper's token as accessToken the SDK sends it alone as Authorization: Bearer.
  const current = await new CustomerAccountApi(as(refreshed.jwtAccessToken)).getCurrentAccount({
    responseFields: 'id,emailAddress,isAnonymous',
  })
  console.log(JSON.stringify({ created, signedIn, refreshed, current }))
}

main().catch((error) => {
  // The SDK has read the error body already: its ResponseError keeps the status and the ApiError.
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
