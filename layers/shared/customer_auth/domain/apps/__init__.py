"""Applications: app clients, their OAuth tokens (the caller every route checks), and operator
provisioning of tenants and clients. May use the kernel and tenants."""
