// Kibo's official SDK reads this service's tenant data: TenantsApi.getTenant with apiHost pointed at
// us, and the SDK's own TenantManager.getSite, which finds a site by the `siteId` of each site.
// TenantManager always calls https://{authHost}/api, so its fetch is sent over plain HTTP here: the
// local server has no TLS. Everything else is the SDK's own code.
// Usage: API=http://127.0.0.1:3000 CLIENT_ID=... CLIENT_SECRET=... TENANT=... SITE=... node tenant_data.js
const { APIAuthClient } = require('@kibocommerce/sdk-authentication')
const { Configuration } = require('@kibocommerce/rest-sdk')
const { TenantsApi } = require('@kibocommerce/rest-sdk/clients/Tenant')
const { TenantManager } = require('@kibocommerce/rest-sdk/client-runtime/tenant-data-manager')

async function main() {
  const { API, CLIENT_ID, CLIENT_SECRET, TENANT, SITE } = process.env
  const host = new URL(API).host
  const overHttp = (url, init) => fetch(String(url).replace(`https://${host}`, `http://${host}`), init)

  const auth = new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: API }, fetch)
  const appTicket = await auth.authenticate()
  const tenants = new TenantsApi(
    new Configuration({
      apiHost: API,
      tenantId: Number(TENANT),
      siteId: Number(SITE),
      accessToken: appTicket.access_token,
    }),
  )
  const tenant = await tenants.getTenant({ tenantId: Number(TENANT) })
  const projected = await tenants.getTenant({ tenantId: Number(TENANT), responseFields: 'id,sites(siteId)' })
  let foreignStatus = null
  try {
    await tenants.getTenant({ tenantId: Number(TENANT) + 1 })
  } catch (error) {
    foreignStatus = error.response ? error.response.status : String(error)
  }

  const manager = new TenantManager(
    new APIAuthClient({ clientId: CLIENT_ID, sharedSecret: CLIENT_SECRET, authHost: host }, overHttp),
    host,
    overHttp,
  )
  const site = await manager.getSite({ tenantId: Number(TENANT), siteId: Number(SITE) })
  console.log(JSON.stringify({ tenant, projected, foreignStatus, site }))
}

main().catch(async (error) => {
  const detail = error.response ? `${error.response.status} ${await error.response.text()}` : String(error)
  console.error(detail)
  process.exit(1)
})
