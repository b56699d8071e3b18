"""Kibo-compatible customer authentication: the code shared by every function (the Lambda layer)."""
