// What every SDK script here starts with: the app's token from Kibo's APIAuthClient, and a
// Configuration naming this service, the tenant and the site (API, CLIENT_ID, CLIENT_SECRET,
// TENANT, SITE from the environment).
const fs = require('node:fs')
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')

async function appConfiguration() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE } = process.env
  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await auth.authenticate()
  return new Configuration({
    apiHost: API,
    tenantId: Number(TENANT),
    siteId: Number(SITE),
    accessToken: appTicket.access_token,
  })
}

// The HTTP status of a call: 200 when the SDK resolves it, else the status it was refused with.
async function status(call) {
  try {
    await call()
    return 200
  } catch (error) {
    return error.response ? error.response.status : String(error)
  }
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

// The last line a local outbox file (the tenant's mailer under `make run`) holds for the user, once
// there is one (the file is appended to).
async function codeFor(outbox, userId) {
  const deadline = Date.now() + 10000
  while (Date.now() < deadline) {
    const lines = fs.existsSync(outbox) ? fs.readFileSync(outbox, 'utf8').split('\n').filter(Boolean) : []
    const mine = lines.map((line) => JSON.parse(line)).filter((line) => line.userId === userId)
    if (mine.length) return mine[mine.length - 1]
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`no code for ${userId} in ${outbox}`)
}

module.exports = { appConfiguration, codeFor, refusal, status }
