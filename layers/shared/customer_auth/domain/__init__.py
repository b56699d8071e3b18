"""The domain: one package per capability, pure Python (no HTTP, no boto3). docs/architecture.md
draws the folders and the arrows allowed between them; ``make lint`` checks them (import-linter)."""
