"""The API's paths and the methods each serves, as API Gateway matches them: what the catch-all
needs to answer 405 (a known path, another method) rather than 404 (no such path).

API Gateway (HTTP API) sends a request whose method no route of its path serves to the catch-all
``ANY /{proxy+}``, like one whose path is unknown; the catch-all tells the two apart with this
table. The table is template.yaml's routes, written beside the catch-all's code by ``make openapi``
(tools/route_table.py), so reading it costs a small JSON file at cold start, not the template.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

_PARAMETER = re.compile(r"\{(?P<name>[^}/+:]+)(?P<kind>:int|\+)?\}")
_SEGMENT = {None: "[^/]+", ":int": "[0-9]+", "+": ".+"}


def path_pattern(route_path: str) -> re.Pattern[str]:
    """A regex for an API Gateway path template: ``{name}`` is one segment, ``{name+}`` the rest;
    and, in the route table only, ``{name:int}`` one segment of digits (a parameter the operations
    read as an integer, so that ``/accounts/Bulk`` is no path of ``/accounts/{accountId}``'s)."""
    pattern, position = "", 0
    for match in _PARAMETER.finditer(route_path):
        pattern += re.escape(route_path[position : match.start()])
        pattern += f"(?P<{match['name']}>{_SEGMENT[match['kind']]})"
        position = match.end()
    return re.compile(pattern + re.escape(route_path[position:]))


@dataclass(frozen=True)
class RouteTable:
    """Path templates and the methods each serves (the catch-all's ``ANY /{proxy+}`` left out)."""

    _routes: tuple[tuple[re.Pattern[str], frozenset[str]], ...]

    @classmethod
    def of(cls, methods_by_path: Mapping[str, Iterable[str]]) -> "RouteTable":
        return cls(tuple((path_pattern(path), frozenset(found)) for path, found in methods_by_path.items()))

    @classmethod
    def load(cls, file: Path) -> "RouteTable":
        """The table ``make openapi`` wrote: ``{"/path/{param}/{id:int}": ["GET", ...], ...}``."""
        loaded: dict[str, list[str]] = json.loads(file.read_text())
        return cls.of(loaded)

    def allowed_methods(self, path: str) -> list[str]:
        """The methods some route serves at ``path``, sorted; empty when no route has the path."""
        found: set[str] = set()
        for pattern, methods in self._routes:
            if pattern.fullmatch(path):
                found |= methods
        return sorted(found)
