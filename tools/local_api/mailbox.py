"""``make run``'s mailbox page: every email the local server sent (its .eml files), as a list, and
each message with its HTML and text parts. Served by the local server only; never deployed.

    GET /mailbox                 the list, newest first
    GET /mailbox/<name>          one message: its headers, its HTML part (in a sandboxed frame)
                                 and its text part
    GET /mailbox/<name>/html     the HTML part alone (sandboxed: no scripts, nothing fetched)
    GET /mailbox/<name>/text     the text part alone
    GET /mailbox/<name>/raw      the .eml file as it was sent
"""

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from functools import cached_property
from pathlib import Path

from jinja2 import DictLoader, Environment, select_autoescape

PATH = "/mailbox"
_NAME = re.compile(r"[0-9T]+-[A-Za-z]+-[0-9a-f]+")
"""An .eml file's stem as ``EmlFolder`` names it; nothing else is ever opened."""

Answer = tuple[int, dict[str, str], bytes]

_STYLE = """
body{font-family:system-ui,Arial,sans-serif;margin:0;background:#f4f4f5;color:#18181b}
header{background:#18181b;color:#fff;padding:12px 24px}header a{color:#fff}
main{max-width:960px;margin:0 auto;padding:24px}
table{width:100%;border-collapse:collapse;background:#fff}
th,td{text-align:left;padding:8px 12px;border-bottom:1px solid #e4e4e7}
tr:hover td{background:#fafafa}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;background:#fff;padding:16px}
dt{font-weight:bold}dd{margin:0}
iframe{width:100%;height:520px;border:1px solid #e4e4e7;background:#fff}
pre{background:#fff;padding:16px;white-space:pre-wrap;border:1px solid #e4e4e7}
nav a{margin-right:16px}
"""

_TEMPLATES = {
    "layout.html": """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %} - local mailbox</title>
<style>"""
    + _STYLE
    + """</style></head>
<body><header><a href="/mailbox">Local mailbox</a> &middot; make run's email, never sent anywhere</header>
<main>{% block main %}{% endblock %}</main></body></html>""",
    "list.html": """{% extends "layout.html" %}{% block title %}{{ messages|length }} emails{% endblock %}
{% block main %}<h1>Mailbox</h1>
{% if messages %}<table id="messages">
<thead><tr><th>Received</th><th>To</th><th>Subject</th><th>Event</th></tr></thead>
<tbody>{% for m in messages %}<tr class="message">
<td>{{ m.received }}</td><td>{{ m.to }}</td>
<td><a href="/mailbox/{{ m.name }}">{{ m.subject }}</a></td><td>{{ m.event }}</td>
</tr>{% endfor %}</tbody></table>
{% else %}<p id="empty">No email yet: codes and notices appear here as the local server sends them.</p>
{% endif %}
<p><a href="/mailbox">Refresh</a></p>{% endblock %}""",
    "message.html": """{% extends "layout.html" %}{% block title %}{{ m.subject }}{% endblock %}
{% block main %}<nav><a href="/mailbox">&larr; All email</a><a href="/mailbox/{{ m.name }}/html">HTML</a>
<a href="/mailbox/{{ m.name }}/text">Text</a><a href="/mailbox/{{ m.name }}/raw">.eml</a></nav>
<h1 id="subject">{{ m.subject }}</h1>
<dl><dt>From</dt><dd id="from">{{ m.sender }}</dd><dt>To</dt><dd id="to">{{ m.to }}</dd>
<dt>Date</dt><dd>{{ m.date }}</dd><dt>Event</dt><dd>{{ m.event }}</dd></dl>
<h2>HTML</h2><iframe id="html-part" title="HTML part" sandbox src="/mailbox/{{ m.name }}/html"></iframe>
<h2>Text</h2><pre id="text-part">{{ m.text }}</pre>{% endblock %}""",
    "text.html": """{% extends "layout.html" %}{% block title %}{{ m.subject }}{% endblock %}
{% block main %}<nav><a href="/mailbox/{{ m.name }}">&larr; The message</a></nav>
<pre id="text-part">{{ m.text }}</pre>{% endblock %}""",
}

_pages = Environment(loader=DictLoader(_TEMPLATES), autoescape=select_autoescape(default=True))

_HTML_PART_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""The HTML part is shown as a mail client would: no script runs, nothing is fetched."""


@dataclass
class Message:
    name: str
    raw: bytes

    @cached_property
    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(message, EmailMessage)
        return message

    @property
    def event(self) -> str:
        return self.name.split("-")[1]

    @property
    def subject(self) -> str:
        return str(self.parsed["Subject"] or "(no subject)")

    @property
    def sender(self) -> str:
        return str(self.parsed["From"] or "")

    @property
    def to(self) -> str:
        return str(self.parsed["To"] or "")

    @property
    def date(self) -> str:
        return str(self.parsed["Date"] or "")

    @property
    def received(self) -> str:
        try:
            return parsedate_to_datetime(self.date).strftime("%Y-%m-%d %H:%M:%S")
        except (TypeError, ValueError):
            return self.date

    def part(self, subtype: str) -> str:
        body = self.parsed.get_body(preferencelist=(subtype,))
        return body.get_content() if body is not None and body.get_content_subtype() == subtype else ""

    @property
    def text(self) -> str:
        return self.part("plain")


class Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self) -> list[Message]:
        """Every email, newest first (the names start with their time)."""
        if not self.folder.is_dir():
            return []
        found = [p for p in self.folder.glob("*.eml") if _NAME.fullmatch(p.stem)]
        return [Message(p.stem, p.read_bytes()) for p in sorted(found, reverse=True)]

    def message(self, name: str) -> Message | None:
        path = self.folder / f"{name}.eml"
        if not _NAME.fullmatch(name) or not path.is_file():
            return None
        return Message(name, path.read_bytes())

    def answer(self, path: str) -> Answer | None:
        """The page for a GET of ``path``; None when the path is not the mailbox's."""
        if path in (PATH, f"{PATH}/"):
            return _page(_pages.get_template("list.html").render(messages=self.messages()))
        if not path.startswith(f"{PATH}/"):
            return None
        name, _, view = path.removeprefix(f"{PATH}/").partition("/")
        message = self.message(name)
        if message is None:
            return 404, {"content-type": "text/plain; charset=utf-8"}, b"No such email.\n"
        if view == "":
            return _page(_pages.get_template("message.html").render(m=message))
        if view == "text":
            return _page(_pages.get_template("text.html").render(m=message))
        if view == "html":
            headers = {
                "content-type": "text/html; charset=utf-8",
                "content-security-policy": _HTML_PART_POLICY,
            }
            return 200, {**headers, **_NO_STORE}, message.part("html").encode()
        if view == "raw":
            headers = {
                "content-type": "message/rfc822",
                "content-disposition": f'attachment; filename="{name}.eml"',
            }
            return 200, {**headers, **_NO_STORE}, message.raw
        return 404, {"content-type": "text/plain; charset=utf-8"}, b"No such view.\n"


_NO_STORE = {"cache-control": "no-store"}


def _page(html: str) -> Answer:
    headers = {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": "frame-ancestors 'none'",
    }
    return 200, {**headers, **_NO_STORE}, html.encode()
