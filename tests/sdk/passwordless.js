// Kibo's official SDK through a passwordless sign-in, unmodified: CustomerAccountApi.addAccountAndLogin,
// then StorefrontAuthTicketApi.generateAndSendOtp for the shopper's email and for an unknown one (both
// resolve alike), the code read from the local outbox file (the tenant's mailer under `make run`),
// validateOtpAndCreateAuthTicket, refreshUserAuthTicket and getCurrentAccount with the new ticket, and
// the same code again, and a code for an unknown email (both refused).
// Usage: API=... CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... OTPS=... node passwordless.js
const { Configuration } = require('@kibocommerce/rest-sdk')
const { appConfiguration, codeFor, refusal } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk passwordless passphrase 42'

async function main() {
  const { API, TENANT, SITE, EMAIL, OTPS } = process.env
  const app = await appConfiguration()
  const tickets = new StorefrontAuthTicketApi(app)

  const created = await new CustomerAccountApi(app).addAccountAndLogin({
    customerAccountAndAuthInfo: {
      account: { emailAddress: EMAIL, userName: EMAIL, firstName: 'Kibo', lastName: 'Sdk' },
      password: PASSWORD,
    },
  })
  const known = await tickets.generateAndSendOtp({ otpRequest: { email: EMAIL } })
  const unknown = await tickets.generateAndSendOtp({ otpRequest: { email: `nobody-${EMAIL}` } })
  const { otpCode } = await codeFor(OTPS, created.userId)
  const otpInfo = { email: EMAIL, otpCode, fingerprint: 'sdk-otp-device', region: 'US' }
  const ticket = await tickets.validateOtpAndCreateAuthTicket({ authTicketOtpInfo: otpInfo })
  const refreshed = await tickets.refreshUserAuthTicket({ refreshToken: ticket.refreshToken })
  // With a shopper's token as accessToken the SDK sends it alone as Authorization: Bearer.
  const shopper = new Configuration({
    apiHost: API,
    tenantId: Number(TENANT),
    siteId: Number(SITE),
    accessToken: refreshed.jwtAccessToken,
  })
  const current = await new CustomerAccountApi(shopper).getCurrentAccount({ responseFields: 'id,emailAddress' })
  const codeAgain = await refusal(() => tickets.validateOtpAndCreateAuthTicket({ authTicketOtpInfo: otpInfo }))
  const unknownEmail = await refusal(() =>
    tickets.validateOtpAndCreateAuthTicket({ authTicketOtpInfo: { ...otpInfo, email: `nobody-${EMAIL}` } }),
  )
  console.log(
    JSON.stringify({ created, known, unknown, otpCode, ticket, refreshed, current, codeAgain, unknownEmail }),
  )
}

main().catch((error) => {
  // The SDK has read the error body already: its ResponseError keeps the status and the ApiError.
  const detail = error.apiError ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
