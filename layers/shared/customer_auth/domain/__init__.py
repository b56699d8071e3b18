"""The domain: accounts, logins, sessions and their rules. Pure Python: no HTTP, no boto3."""
