// Kibo's official SDK against this service, support corrects an email address:
// CustomerAccountApi.addAccountAndLogin twice, getAccount, then updateAccount with a new emailAddress
// (sign-in works with the new email only) and updateAccount onto the other login's email (409).
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... NEW_EMAIL=... TAKEN=... node update_account.js
const { appConfiguration, status } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk update passphrase 42'

async function main() {
  const { EMAIL, NEW_EMAIL, TAKEN } = process.env
  const app = await appConfiguration()
  const accounts = new CustomerAccountApi(app)
  const tickets = new StorefrontAuthTicketApi(app)
  const signIn = (username) =>
    status(() => tickets.createUserAuthTicket({ customerUserAuthInfo: { username, password: PASSWORD } }))

  const created = await accounts.addAccountAndLogin({
    customerAccountAndAuthInfo: { account: { emailAddress: EMAIL, firstName: 'Ada' }, password: PASSWORD },
  })
  await accounts.addAccountAndLogin({
    customerAccountAndAuthInfo: { account: { emailAddress: TAKEN }, password: PASSWORD },
  })
  const accountId = created.customerAccount.id
  const account = await accounts.getAccount({ accountId })
  const updated = await accounts.updateAccount({
    accountId,
    customerAccount: { ...account, emailAddress: NEW_EMAIL, firstName: 'Augusta' },
  })
  const signIns = { newEmail: await signIn(NEW_EMAIL), oldEmail: await signIn(EMAIL) }
  const ontoTaken = await status(() =>
    accounts.updateAccount({ accountId, customerAccount: { ...updated, emailAddress: TAKEN } })
  )
  const after = await accounts.getAccount({ accountId })
  console.log(JSON.stringify({ accountId, updated, signIns, ontoTaken, after }))
}

main().catch((error) => {
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
