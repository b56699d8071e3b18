// Kibo's official SDK against this service, a visitor not signed in yet:
// StorefrontAuthTicketApi.createAnonymousShopperAuthTicket, then refreshUserAuthTicket on that ticket,
// then getCurrentAccount with the anonymous jwtAccessToken (refused: an anonymous shopper has no account).
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... node anonymous_shopper.js
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

async function main() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE } = process.env
  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await auth.authenticate()
  const as = (accessToken) =>
    new Configuration({ apiHost: API, tenantId: Number(TENANT), siteId: Number(SITE), accessToken })
  const tickets = new StorefrontAuthTicketApi(as(appTicket.access_token))

  const anonymous = await tickets.createAnonymousShopperAuthTicket()
  const refreshed = await tickets.refreshUserAuthTicket({ refreshToken: anonymous.refreshToken })
  let currentStatus = null
  try {
    await new CustomerAccountApi(as(refreshed.jwtAccessToken)).getCurrentAccount()
    currentStatus = 200
  } catch (error) {
    currentStatus = error.response ? error.response.status : String(error)
  }
  const jwks = await (await fetch(`${API}/.well-known/jwks.json`)).json()
  console.log(JSON.stringify({ anonymous, refreshed, currentStatus, jwks }))
}

main().catch((error) => {
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
