// Kibo's official SDK against this service, an erasure request: CustomerAccountApi.addAccountAndLogin,
// then deleteAccount; afterwards getAccount is 404, the old refresh token 401 (refreshUserAuthTicket),
// a second deleteAccount 404, and a new account can addLoginToExistingCustomer (Create-Login) with the freed email.
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... node delete_account.js
const { appConfiguration, status } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk erasure passphrase 42'

async function main() {
  const { EMAIL } = process.env
  const app = await appConfiguration()
  const accounts = new CustomerAccountApi(app)
  const tickets = new StorefrontAuthTicketApi(app)

  const created = await accounts.addAccountAndLogin({
    customerAccountAndAuthInfo: { account: { emailAddress: EMAIL, userName: EMAIL }, password: PASSWORD },
  })
  const accountId = created.customerAccount.id
  await accounts.deleteAccount({ accountId })
  const afterDelete = {
    getAccount: await status(() => accounts.getAccount({ accountId })),
    refresh: await status(() => tickets.refreshUserAuthTicket({ refreshToken: created.refreshToken })),
    signIn: await status(() =>
      tickets.createUserAuthTicket({ customerUserAuthInfo: { username: EMAIL, password: PASSWORD } })
    ),
    secondDelete: await status(() => accounts.deleteAccount({ accountId })),
  }
  const guest = await accounts.addAccount({ customerAccount: { emailAddress: EMAIL } })
  const reused = await accounts.addLoginToExistingCustomer({
    accountId: guest.id,
    customerLoginInfo: { emailAddress: EMAIL, username: EMAIL, password: PASSWORD },
  })
  console.log(JSON.stringify({ accountId, afterDelete, reused }))
}

main().catch((error) => {
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
