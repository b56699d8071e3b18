// Kibo's official SDK through a passwordless sign-in, unmodified: CustomerAccountApi.addAccountAndLogin,
// then StorefrontAuthTicketApi.generateAndSendOtp for the shopper's email and for an unknown one (both
// resolve alike), the code read from the local outbox file (the tenant's mailer under `make run`),
// validateOtpAndCreateAuthTicket, refreshUserAuthTicket and getCurrentAccount with the new ticket, and
// the same code again, and a code for an unknown email (both refused).
// Usage: API=... CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... EMAIL=... OTPS=... node passwordless.js
const fs = require('node:fs')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { appConfiguration } = require('./app')
const { CustomerAccountApi, StorefrontAuthTicketApi } = require('@kibocommerce/rest-sdk/clients/Customer')

const PASSWORD = 'sdk passwordless passphrase 42'

// The last line the outbox holds for the user, once there is one (the file is appended to).
async function codeFor(outbox, userId) {
  const deadline = Date.now() + 10000
  while (Date.now() < deadline) {
    const lines = fs.existsSync(outbox) ? fs.readFileSync(outbox, 'utf8').split('\n').filter(Boolean) : []
    const mine = lines.map((line) => JSON.parse(line)).filter((line) => line.userId === userId)
    if (mine.length) return mine[mine.length - 1]
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no passwordless code for ${userId} in ${outbox}`)
}

// The status and errorCode of a call the SDK rejects (its ResponseError has read the ApiError).
async function refusal(call) {
  try {
    await call()
  } catch (error) {
    if (error.apiError) return { status: error.response.status, errorCode: error.apiError.errorCode }
    throw error
  }
  throw new Error('the call succeeded')
}

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
