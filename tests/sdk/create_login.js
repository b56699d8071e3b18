// Kibo's official SDK against this service: app auth with Kibo's APIAuthClient, then
// CustomerAccountApi.addAccount and addLoginToExistingCustomer with apiHost pointed at us.
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... node create_login.js
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { CustomerAccountApi } = require('@kibocommerce/rest-sdk/clients/Customer')

async function main() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE, EMAIL } = process.env
  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await auth.authenticate()
  const refreshed = await auth.refreshTicket(appTicket)

  const configuration = new Configuration({
    apiHost: API,
    tenantId: Number(TENANT),
    siteId: Number(SITE),
    accessToken: refreshed.access_token,
  })
  const accounts = new CustomerAccountApi(configuration)
  const account = await accounts.addAccount({
    customerAccount: { emailAddress: EMAIL, firstName: 'Kibo', lastName: 'Sdk', isAnonymous: true },
  })
  const ticket = await accounts.addLoginToExistingCustomer({
    accountId: account.id,
    customerLoginInfo: { emailAddress: EMAIL, password: 'sdk passphrase 42', fingerprint: 'sdk-device', region: 'US' },
  })
  const fetched = await accounts.getAccount({ accountId: account.id, responseFields: 'id,userName,isAnonymous' })
  console.log(JSON.stringify({ appTicket: { expires_in: appTicket.expires_in, token_type: appTicket.token_type }, account, ticket, fetched }))
}

main().catch(async (error) => {
  const detail = error.response ? `${error.response.status} ${await error.response.text()}` : String(error)
  console.error(detail)
  process.exit(1)
})
