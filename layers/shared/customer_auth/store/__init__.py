"""DynamoDB access: the one place that knows item layouts, keys and write conditions."""
