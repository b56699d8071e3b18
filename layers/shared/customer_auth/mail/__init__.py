"""Emails from the outbox's events: one per event type, rendered from Jinja2 templates (text and
HTML) in the tenant's language, and sent through SES, an SMTP server or (under ``make run``) kept
as .eml files.

Only the mailer function and ``make run``'s local outbox import this package: it brings Jinja2,
which no API function's cold start should pay for.
"""
