"""One-time codes (password reset, passwordless and two-factor): their life, tries and rate limit,
and how a code is mailed through the outbox. May use the kernel, tenants, logins and accounts."""
