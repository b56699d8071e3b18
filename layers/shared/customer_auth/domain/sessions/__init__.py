"""Shopper sessions: minting their tokens (``SessionStarter``), the live session a token names, and
what a ticket does after sign-in (refresh, log out, current account, the anonymous shopper's).
May use the capabilities below it: kernel, tenants, logins, accounts, codes."""
