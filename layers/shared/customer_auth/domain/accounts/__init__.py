"""Customer accounts: creating, reading, updating (a login's identifiers move with its account) and
deleting them. May use the kernel, tenants and logins."""
