"""The mail templates: ``templates/<locale>/<name>.txt`` (the subject and the text part) and
``<name>.html`` (the HTML part), rendered by Jinja2.

HTML is autoescaped, text is not. A message is rendered in the most specific of the tenant's
locale, its language and English that has the message's template (``pt-BR``, then ``pt``, then
``en``), so a missing translation falls back to English as a whole, layout included.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..domain.tenants.mail import LOCALE

TEMPLATES = Path(__file__).with_name("templates")
FALLBACK = "en"


@dataclass(frozen=True, slots=True)
class Rendered:
    locale: str
    subject: str
    text: str
    html: str


def locales_for(locale: str | None) -> list[str]:
    """Where to look for a template, most specific first: ``pt-BR`` gives pt-BR, pt, en."""
    chain: list[str] = []
    if locale and LOCALE.fullmatch(locale):
        parts = locale.split("-")
        chain = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    return list(dict.fromkeys([*chain, FALLBACK]))


def render(name: str, locale: str | None, context: Mapping[str, Any]) -> Rendered:
    """The message ``name`` in the best locale for ``locale``; the text template sets ``subject``."""
    for candidate in locales_for(locale):
        if (TEMPLATES / candidate / f"{name}.txt").is_file():
            environment = _environment(candidate)
            values = {**context, "locale": candidate}
            text = environment.get_template(f"{name}.txt").make_module(values)
            subject = " ".join(str(getattr(text, "subject", "")).split())
            if not subject:
                raise ValueError(f"the template {candidate}/{name}.txt sets no subject")
            html = environment.get_template(f"{name}.html").render({**values, "subject": subject})
            return Rendered(candidate, subject, str(text).strip() + "\n", html)
    raise LookupError(f"no mail template {name!r}")


@cache
def _environment(locale: str) -> Environment:
    folders = [str(TEMPLATES / name) for name in dict.fromkeys([locale, FALLBACK])]
    return Environment(
        loader=FileSystemLoader(folders),
        autoescape=select_autoescape(
            enabled_extensions=("html",), disabled_extensions=("txt",), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
