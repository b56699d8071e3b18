"""What proves a login's owner and how the storefront manages it: password rules, the hasher port
and the password check; Change-Password, locks and login state, Change-Passwords in bulk, and
recovery with a mailed code. May use sessions and everything below it."""
