"""How a tenant's emails look and whom they come from (the mailer reads these)."""

import re
from dataclasses import dataclass
from email.utils import parseaddr

from ..kernel.errors import InvalidParameter

LOCALE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")
"""A BCP 47 tag's shape (``en``, ``de``, ``pt-BR``): the mail templates' folder names."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    """How the tenant's emails (codes and security notices) look and whom they come from; a field
    left out takes the deployment's default (sender), the tenant's name (shop name), no link, or
    English."""

    sender: str | None = None
    """The From address, ``shop@example.com`` or ``Shop <shop@example.com>``: an SES identity."""
    shop_name: str | None = None
    link_base: str | None = None
    """The shop's own page the emails link to (a sign-in or account page); codes never go in it."""
    locale: str | None = None
    """The templates' language (``de``, ``pt-BR``); a template missing in it is sent in English."""

    def __post_init__(self) -> None:
        for name, value in (
            ("sender", self.sender),
            ("shopName", self.shop_name),
            ("linkBase", self.link_base),
        ):
            if value is not None and (not value.strip() or any(c in value for c in "\r\n\0")):
                raise InvalidParameter(f"mail {name} must be one non-empty line.", field=name)
        if self.sender is not None and not _address(self.sender):
            raise InvalidParameter(
                "mail sender must be an address (Shop <shop@example.com>).", field="sender"
            )
        if self.link_base is not None and not self.link_base.startswith(("https://", "http://")):
            raise InvalidParameter("mail linkBase must be an http(s) URL.", field="linkBase")
        if self.locale is not None and not LOCALE.fullmatch(self.locale):
            raise InvalidParameter("mail locale must be a language tag such as en or pt-BR.", field="locale")


def _address(sender: str) -> bool:
    _, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain)
