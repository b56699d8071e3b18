"""Pydantic wire models: Kibo's JSON shapes, camelCase on the wire."""
