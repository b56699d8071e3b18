// What every SDK script here starts with: the app's token from Kibo's APIAuthClient, and a
// Configuration naming this service, the tenant and the site (API, CLIENT_ID, CLIENT_SECRET,
// TENANT, SITE from the environment).
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

module.exports = { appConfiguration, status }
