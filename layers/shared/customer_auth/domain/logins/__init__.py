"""A customer's login: its identifiers, password hash, lockout counts and trusted devices, and every
change a flow makes to it. May use the kernel and tenants' policies."""
