"""``python -m tools.cost``: ``make cost``.

    python -m tools.cost --mau 100000 [--sign-ins 4 --refreshes 10 ...] [--bench bench-results.json]
    python -m tools.cost --table 10000,100000,1000000      (the table in docs/performance.md)
    python -m tools.cost --refresh-figures bench-results.json  (after a full make bench)

Offline and in seconds: it reads the committed snapshot of the bench's per-request figures
(tools/cost/bench-figures.json) unless --bench names a bench-results.json, template.yaml for each
function's MemorySize and settings, and tools/cost/prices.json.
"""

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import model

LABELS = {
    "sign_ins": "sign-ins",
    "refreshes": "refreshes",
    "account_reads": "account reads",
    "two_factor_codes": "2FA codes",
    "resets": "password resets",
}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tools.cost", description=__doc__)
    parser.add_argument("--mau", type=int, default=100_000, help="monthly active shoppers (100,000)")
    for action, default in model.DEFAULTS.items():
        parser.add_argument(
            f"--{action.replace('_', '-')}",
            type=float,
            default=default,
            help=f"{LABELS[action]} per shopper a month ({default:g})",
        )
    parser.add_argument(
        "--app-tokens", type=float, default=model.APP_TOKENS, help=f"app tokens a month ({model.APP_TOKENS})"
    )
    parser.add_argument(
        "--aws-call-ms",
        type=float,
        default=model.AWS_CALL_MS,
        help=f"the wait for one DynamoDB or EventBridge call, billed ({model.AWS_CALL_MS:g} ms)",
    )
    parser.add_argument(
        "--cold-share",
        type=float,
        default=model.COLD_SHARE,
        help=f"share of invocations that start cold and pay the init ({model.COLD_SHARE:g})",
    )
    parser.add_argument("--stored-shoppers", type=int, help="shoppers with an account stored (the MAU)")
    parser.add_argument(
        "--bench", type=Path, help=f"a bench-results.json to price instead of {model.FIGURES.name}"
    )
    parser.add_argument(
        "--prices", type=Path, default=model.PRICES, help="the price file (tools/cost/prices.json)"
    )
    parser.add_argument("--json", type=Path, help="also write the estimate here")
    parser.add_argument(
        "--table", help="comma-separated MAUs: print the markdown table of docs/performance.md"
    )
    parser.add_argument(
        "--refresh-figures",
        type=Path,
        metavar="BENCH_RESULTS",
        help=f"write {model.FIGURES.name} from a full run's bench-results.json, and stop",
    )
    return parser.parse_args(argv)


def _usage(args: argparse.Namespace, mau: int) -> model.Usage:
    return model.Usage(
        mau=mau,
        per_shopper={action: getattr(args, action) for action in model.DEFAULTS},
        app_tokens=args.app_tokens,
        aws_call_ms=args.aws_call_ms,
        cold_share=args.cold_share,
        stored_shoppers=args.stored_shoppers,
    )


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        padded = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return [line(header), rule, *(line(row) for row in rows)]


def _source(figures: dict[str, Any], where: str, prices: dict[str, Any]) -> list[str]:
    measured = figures["measured"]
    machine = measured["machine"]
    return [
        f"Per-request figures: {where} (a {measured['mode']} make bench run of "
        f"{measured.get('written', 'unknown date')} on {machine.get('cpu_model', '?')},",
        f"  {machine.get('cpus')} cores, Python {machine.get('python')}). Prices: {prices['region']} list "
        f"prices, file of {prices['written']} (tools/cost/prices.json, a source URL for each).",
    ]


def render(estimate: dict[str, Any], figures: dict[str, Any], where: str, prices: dict[str, Any]) -> str:
    usage = estimate["usage"]
    counts = ", ".join(f"{usage['per_shopper'][a]:g} {LABELS[a]}" for a in model.DEFAULTS)
    lines = [
        f"make cost: {usage['mau']:,} monthly active shoppers, each a month: {counts};",
        f"  {usage['app_tokens']:,.0f} app tokens a month; each AWS call waits {usage['aws_call_ms']:g} ms; "
        f"{usage['cold_share']:.1%} of invocations start cold.",
        *_source(figures, where, prices),
        "",
    ]
    rows = []
    for function, count in estimate["invocations"].items():
        r = estimate["per_request"][function]
        rows.append(
            [
                function.removesuffix("Function"),
                f"{count:,.0f}",
                f"{r['memory_mb']}",
                f"{r['compute_ms']:.1f}",
                f"{r['round_trips']}",
                f"{r['aws_ms']:.0f}",
                f"{r['password_ms']:.0f}",
                f"{r['billed_ms']:.1f}",
                f"{r['read_units']:g}/{r['write_units']:g}",
                f"{r['events']}",
            ]
        )
    lines += _table(
        [
            "request",
            "a month",
            "MB",
            "CPU ms",
            "round trips",
            "AWS wait ms",
            "password ms",
            "billed ms",
            "RRU/WRU",
            "events",
        ],
        rows,
        right=set(range(1, 10)),
    )
    lines.append("")
    component_rows = [[c["component"], c["quantity"], _usd(c["usd"])] for c in estimate["components"]]
    component_rows.append(
        ["total", f"{_usd(estimate['usd_per_1000_mau'])} per 1,000 MAU", _usd(estimate["total_usd"])]
    )
    lines += _table(["component", "a month", "USD a month"], component_rows, right={2})
    cognito = estimate["cognito"]
    lines += [
        "",
        f"Beside it, Amazon Cognito for {usage['mau']:,} MAU: Essentials {_usd(cognito['essentials_usd'])}, "
        f"Lite {_usd(cognito['lite_usd'])} a month",
        "  (user pool MAUs only: its email, M2M tokens and advanced security are extra).",
        f"Lambda's free tier (per account, if nothing else uses it) would take off up to "
        f"{_usd(estimate['lambda_free_tier_usd'])}; not counted above.",
        "Not counted: CloudWatch (logs, metrics, alarms), X-Ray, data transfer, the tenant's mailer",
        "  function.",
    ]
    return "\n".join(lines)


def docs_table(
    figures: dict[str, Any], prices: dict[str, Any], args: argparse.Namespace, maus: list[int]
) -> str:
    estimates = [model.monthly(figures, prices, _usage(args, mau)) for mau in maus]
    names = [c["component"] for c in estimates[0]["components"]]
    header = ["USD a month", *(f"{mau:,} MAU" for mau in maus)]
    rows = [[name, *(_usd(e["components"][i]["usd"]) for e in estimates)] for i, name in enumerate(names)]
    rows.append(["**this service, total**", *(f"**{_usd(e['total_usd'])}**" for e in estimates)])
    rows.append(["Cognito Essentials", *(_usd(e["cognito"]["essentials_usd"]) for e in estimates)])
    rows.append(["Cognito Lite", *(_usd(e["cognito"]["lite_usd"]) for e in estimates)])
    return "\n".join(_table(header, rows, right=set(range(1, len(header)))))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    if args.refresh_figures:
        results = model.load_json(args.refresh_figures)
        if results["mode"] != "full":
            print("refusing a --quick bench run: its timings are not measurements", file=sys.stderr)
            return 2
        snapshot = model.figures(results)
        snapshot["measured"]["written"] = datetime.now(UTC).date().isoformat()
        model.FIGURES.write_text(json.dumps(snapshot, indent=2) + "\n")
        print(f"wrote {model.FIGURES}")
        return 0
    prices = model.load_json(args.prices)
    if args.bench:
        figures = model.figures(model.load_json(args.bench))
        where = str(args.bench)
    else:
        figures = model.load_json(model.FIGURES)
        where = f"tools/cost/{model.FIGURES.name}"
    if args.table:
        print(docs_table(figures, prices, args, [int(mau) for mau in args.table.split(",")]))
        return 0
    estimate = model.monthly(figures, prices, _usage(args, args.mau))
    print(render(estimate, figures, where, prices))
    if args.json:
        args.json.write_text(json.dumps({"figures_from": where, **estimate}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
