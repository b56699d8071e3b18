"""Tenants, their sites and the policies they set for their shoppers: token lifetimes, sign-in and
lockout, two-factor. May use the kernel."""
