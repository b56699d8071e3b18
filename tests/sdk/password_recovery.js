// Kibo's official SDK through password recovery and administration, unmodified:
// CustomerAccountApi.addAccountAndLogin and StorefrontAuthTicketApi.createUserAuthTicket (a session
// from before), resetPassword, the confirmation code read from the local outbox file (the tenant's
// mailer under `make run`), updateForgottenPassword, then sign-ins with the new and the old password
// and a refresh with the old session; setPasswordChangeRequired(true) until changePassword;
// changePasswords for two items; getLoginStateByEmailAddress and getLoginStateByUserName.
// Usage: API=... CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... RESETS=... node password_recovery.js
const { appConfiguration, codeFor, refusal } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk forgotten passphrase 42'
const NEW_PASSWORD = 'sdk recovered passphrase 43'
const CHANGED_PASSWORD = 'sdk changed passphrase 44'

async function main() {
  const { EMAIL, RESETS } = process.env
  const app = await appConfiguration()
  const accounts = new CustomerAccountApi(app)
  const tickets = new StorefrontAuthTicketApi(app)
  const signIn = (password) => tickets.createUserAuthTicket({ customerUserAuthInfo: { username: EMAIL, password } })

  const created = await accounts.addAccountAndLogin({
    customerAccountAndAuthInfo: {
      account: { emailAddress: EMAIL, userName: EMAIL, firstName: 'Kibo', lastName: 'Sdk' },
      password: PASSWORD,
    },
  })
  const before = await signIn(PASSWORD)

  await accounts.resetPassword({ customerResetPasswordInfo: { emailAddress: EMAIL } })
  await accounts.resetPassword({ customerResetPasswordInfo: { emailAddress: `nobody-${EMAIL}` } })
  const { confirmationCode } = await codeFor(RESETS, created.userId)
  await accounts.updateForgottenPassword({
    confirmationInfo: { userName: EMAIL, confirmationCode, newPassword: NEW_PASSWORD },
  })
  const after = await signIn(NEW_PASSWORD)
  const oldPassword = await refusal(() => signIn(PASSWORD))
  const oldSession = await refusal(() => tickets.refreshUserAuthTicket({ refreshToken: before.refreshToken }))
  const codeAgain = await refusal(() =>
    accounts.updateForgottenPassword({
      confirmationInfo: { userName: EMAIL, confirmationCode, newPassword: 'sdk a third passphrase 45' },
    }),
  )

  const accountId = created.customerAccount.id
  await accounts.setPasswordChangeRequired({ accountId, body: true })
  const required = await refusal(() => signIn(NEW_PASSWORD))
  const stateRequired = await accounts.getLoginStateByEmailAddress({ emailAddress: EMAIL })
  await accounts.changePassword({
    accountId,
    customerPasswordInfo: { oldPassword: NEW_PASSWORD, newPassword: CHANGED_PASSWORD },
  })
  const afterChange = await signIn(CHANGED_PASSWORD)

  const changed = await accounts.changePasswords({
    accountPasswordInfoCollection: {
      totalCount: 2,
      items: [
        { accountId, passwordInfo: { oldPassword: CHANGED_PASSWORD, newPassword: NEW_PASSWORD } },
        { accountId: 2147483000, passwordInfo: { newPassword: NEW_PASSWORD } },
      ],
    },
  })
  const byEmail = await accounts.getLoginStateByEmailAddress({ emailAddress: EMAIL })
  const byUserName = await accounts.getLoginStateByUserName({ userName: EMAIL })
  const unknownState = await refusal(() => accounts.getLoginStateByUserName({ userName: `nobody-${EMAIL}` }))
  console.log(
    JSON.stringify({
      created,
      confirmationCode,
      after,
      oldPassword,
      oldSession,
      codeAgain,
      required,
      stateRequired,
      afterChange,
      changed,
      byEmail,
      byUserName,
      unknownState,
    }),
  )
}

main().catch((error) => {
  // The SDK has read the error body already: its ResponseError keeps the status and the ApiError.
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
