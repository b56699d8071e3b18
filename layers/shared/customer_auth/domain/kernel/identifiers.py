"""The identifiers a login is known by (email addresses and usernames): their checks, and the one
normal form in which they are unique and looked up."""

import unicodedata

from .errors import InvalidParameter


def checked_email(value: str, field: str = "emailAddress") -> str:
    """The address as given, trimmed and composed (NFC), if its syntax is valid (deliverability is
    not checked). Uniqueness is decided on ``normalize_identifier``'s form."""
    # Imported on first use: only the routes that take an address pay for it (about 20 ms of a
    # cold start), not every function that imports the domain.
    from email_validator import EmailNotValidError, validate_email

    address = unicodedata.normalize("NFC", value.strip())
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidParameter(f"{field} is not a valid email address.", field=field) from error
    return address


def checked_username(value: str) -> str:
    """The username as given, trimmed and composed (NFC), without control or format characters."""
    username = unicodedata.normalize("NFC", value.strip())
    if not username:
        raise InvalidParameter("username must not be empty.", field="username")
    if any(unicodedata.category(char).startswith("C") for char in username):
        raise InvalidParameter("username must not contain control characters.", field="username")
    return username


def normalize_identifier(value: str) -> str:
    """The form in which usernames and emails are unique and looked up: NFKC, case-folded, NFKC
    again (case folding can denormalize), trimmed. Canonically equivalent spellings (composed
    ``é`` and ``e`` + U+0301) and compatibility ones (fullwidth ``ａｄｍｉｎ``, ligatures) become
    one identifier, as RFC 8265's UsernameCaseMapped profile and UTS #39's skeletons intend.
    Zero-width and bidi controls are refused before this (``checked_username``)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded.strip()
