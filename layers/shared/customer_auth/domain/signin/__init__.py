"""The ways a shopper signs in, one module each: a password (``password``), a mailed code
(``passwordless``), a second factor (``twofactor``) and a new login's first session
(``registration``: Create-Login). They share only what lies below them; a new way is a new module
or folder here (docs/architecture.md)."""
