// Kibo's official SDK against the app-auth routes, unmodified: AppAuthTicketsApi.authenticateApp,
// refreshAppAuthTicket and deleteAppAuthTicket (the older app ticket, {applicationId, sharedSecret}),
// and oauthAuthenticateApp with the body names of the SDK's own OauthAuthRequest model (camelCase).
// AppDevelopment's clients call https://{authHost}/api, so their fetch is sent over plain HTTP here:
// the local server has no TLS. Everything else is the SDK's own code.
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... node app_tickets.js
const { Configuration } = require('@kibocommerce/rest-sdk')
const { AppAuthTicketsApi } = require('@kibocommerce/rest-sdk/clients/AppDevelopment')
const { TenantsApi } = require('@kibocommerce/rest-sdk/clients/Tenant')
const { refusal } = require('./app')

async function main() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE } = process.env
  const host = new URL(API).host
  const overHttp = (url, init) => fetch(String(url).replace(`https://${host}`, `http://${host}`), init)
  const apps = new AppAuthTicketsApi(
    new Configuration({ authHost: host, tenantId: Number(TENANT), siteId: Number(SITE), fetchApi: overHttp }),
  )
  const credentials = { applicationId: CLIENT_ID, sharedSecret: CLIENT_SECRET }
  // What the app ticket's access token can do: read its tenant, as any app token of the tenant may.
  const tenantWith = (accessToken) =>
    new TenantsApi(
      new Configuration({ apiHost: API, tenantId: Number(TENANT), siteId: Number(SITE), accessToken }),
    ).getTenant({ tenantId: Number(TENANT), responseFields: 'id' })

  const ticket = await apps.authenticateApp({ appAuthInfo: credentials })
  const projected = await apps.authenticateApp({ appAuthInfo: credentials, responseFields: 'accessToken' })
  const wrongSecret = await refusal(() =>
    apps.authenticateApp({ appAuthInfo: { applicationId: CLIENT_ID, sharedSecret: 'not the shared secret' } }),
  )
  const refreshed = await apps.refreshAppAuthTicket({ authTicketRequest: { refreshToken: ticket.refreshToken } })
  const reused = await refusal(() =>
    apps.refreshAppAuthTicket({ authTicketRequest: { refreshToken: ticket.refreshToken } }),
  )
  const tenant = await tenantWith(refreshed.accessToken)
  const deleted = await apps.deleteAppAuthTicket({ refreshToken: refreshed.refreshToken })
  const afterDelete = await refusal(() =>
    apps.refreshAppAuthTicket({ authTicketRequest: { refreshToken: refreshed.refreshToken } }),
  )

  const camel = { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }
  const oauth = await apps.oauthAuthenticateApp({ oauthAuthRequest: { ...camel, grantType: 'client_credentials' } })
  const oauthRenewed = await apps.oauthAuthenticateApp({
    oauthAuthRequest: { ...camel, grantType: 'refresh_token', refreshToken: oauth.refresh_token },
  })
  const oauthTenant = await tenantWith(oauthRenewed.access_token)

  console.log(
    JSON.stringify({
      ticket,
      projected,
      wrongSecret,
      refreshed,
      reused,
      tenant,
      deleted: deleted === undefined ? 'resolved' : deleted,
      afterDelete,
      oauth,
      oauthRenewed,
      oauthTenant,
    }),
  )
}

main().catch(async (error) => {
  const detail = error.response ? `${error.response.status} ${JSON.stringify(error.apiError)}` : String(error)
  console.error(detail)
  process.exit(1)
})
