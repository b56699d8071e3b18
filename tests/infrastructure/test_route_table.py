"""The catch-all's route table (functions/not_found/routes.json) is template.yaml's routes, as
`make openapi` writes it; a stale one would answer 404 for a new route's other methods."""

import json
from pathlib import Path

import pytest

from tools import route_table, sam_template


def test_the_committed_table_is_the_one_the_template_gives() -> None:
    assert route_table.TABLE.read_text() == route_table.render(route_table.table()), "stale: run make openapi"
    assert route_table.main(["--check"]) == 0


def test_the_check_fails_on_a_stale_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "routes.json"
    found = route_table.table()
    found.pop(next(iter(found)))
    stale.write_text(route_table.render(found))
    monkeypatch.setattr(route_table, "TABLE", stale)

    assert route_table.main(["--check"]) == 1


def test_every_route_but_the_catch_all_is_in_the_table_with_its_method() -> None:
    table: dict[str, list[str]] = json.loads(route_table.TABLE.read_text())
    listed = {f"{method} {path.replace(':int', '')}" for path, methods in table.items() for method in methods}

    assert listed == {route.route_key for route in sam_template.routes() if route.method != "ANY"}
    assert table["/api/commerce/customer/accounts/{accountId:int}"] == ["DELETE", "GET", "PUT"]
