"""``inwise-pandas`` command line: demo, sandbox, push, recent."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

__all__ = ["main"]


def _add_fault_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 5xx")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped")
    parser.add_argument("--rate-limit-rate", type=float, default=0.0, help="share answered 429")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds sent with 429")
    parser.add_argument("--seed", type=int, default=None, help="seed for repeatable faults")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inwise-pandas", description="inwise contact lists from pandas.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="push a messy sample list to a local sandbox, read it back, summarise")

    sb = sub.add_parser("sandbox", help="run the local inwise API emulator until interrupted")
    sb.add_argument("--host", default="127.0.0.1")
    sb.add_argument("--port", type=int, default=8765)
    sb.add_argument("--api-key", action="append", dest="api_keys", help="accepted key (repeat for more accounts)")
    _add_fault_options(sb)

    push = sub.add_parser("push", help="push a CSV file (streamed in chunks)")
    push.add_argument("csv", type=Path)
    source = push.add_mutually_exclusive_group(required=True)
    source.add_argument("--mapping", type=Path, help="a mapping file written by FieldMapping.to_json()")
    source.add_argument("--suggest", action="store_true", help="use FieldMapping.suggest and print it first")
    push.add_argument("--mode", choices=["auto", "upsert", "batch"], default="batch")
    push.add_argument("--group-id")
    push.add_argument("--country-code")
    push.add_argument("--trim-leading-zero", action="store_true")
    push.add_argument("--no-update-existing", action="store_true", help="batches leave existing contacts as they are")
    push.add_argument("--chunksize", type=int, default=100_000)
    push.add_argument("--checkpoint", type=Path, help="resume file: a rerun skips what is done")
    push.add_argument("--failed-out", type=Path, help="where failed rows go (default: <csv>.failed.csv)")
    push.add_argument("--dry-run", action="store_true", help="print the first request body and the request count")

    recent = sub.add_parser("recent", help="read recently created/updated contacts into a file")
    recent.add_argument("--out", type=Path, required=True, help=".parquet or .csv")
    recent.add_argument("--all", action="store_true", help="read every page")
    recent.add_argument("--limit", type=int, default=1000)
    recent.add_argument("--reset", action="store_true")
    recent.add_argument("--updated", action="store_true", help="include updated contacts too")
    recent.add_argument("--journal", type=Path, help="append each page here before using it (crash-safe)")
    return parser


def _push(args) -> int:
    import pandas as pd

    from .mapping import FieldMapping
    from .stream import push_csv

    if args.suggest:
        head = pd.read_csv(args.csv, nrows=1000, dtype=str)
        mapping = FieldMapping.suggest(head)
        print(f"suggested mapping:\n{mapping.to_json()}")
    else:
        mapping = FieldMapping.from_json(args.mapping.read_text(encoding="utf-8"))
    options = {"group_id": args.group_id, "country_code": args.country_code,
               "trim_leading_zero": args.trim_leading_zero, "update_existing_contacts": not args.no_update_existing}
    if args.dry_run:
        return _dry_run(args, mapping, options)
    from .client import Client

    result = push_csv(args.csv, mapping, chunksize=args.chunksize, client=Client(), mode=args.mode,
                      progress=sys.stderr.isatty(), checkpoint=args.checkpoint, **options)
    print(result)
    print(result.summary.to_string())
    if len(result.failed):
        out = args.failed_out or args.csv.with_suffix(".failed.csv")
        failed = result.errors()
        failed.to_csv(out, index_label="row")
        print(f"{len(result.failed)} rows not delivered; written with their errors to {out}", file=sys.stderr)
        return 1
    return 0


def _dry_run(args, mapping, options) -> int:
    import pandas as pd

    requests, first = 0, None
    with pd.read_csv(args.csv, chunksize=args.chunksize, dtype=str, keep_default_na=False, na_values=[""]) as reader:
        for chunk in reader:
            bodies = chunk.inwise.to_upserts(mapping, **options) if args.mode == "upsert" else \
                chunk.inwise.to_batch(mapping, **options)
            requests += len(bodies)
            first = first or (bodies[0] if bodies else None)
    print(json.dumps(first, ensure_ascii=False, indent=2))
    print(f"{requests} request(s) would be sent ({args.mode})")
    return 0


def _recent(args) -> int:
    from .read import read_recent

    frame = read_recent(limit=args.limit, reset=args.reset, search_by_updated_or_added_date=args.updated,
                        all_pages=args.all, progress=sys.stderr.isatty(), journal=args.journal)
    if args.out.suffix == ".parquet":
        frame.to_parquet(args.out, index=False)
    else:
        frame.to_csv(args.out, index=False)
    print(f"{len(frame)} contacts written to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from .errors import InwiseError

    try:
        if args.command == "demo":
            from .demo import run_demo

            return run_demo()
        if args.command == "sandbox":
            from .sandbox import serve

            serve(host=args.host, port=args.port, api_keys=args.api_keys or ["demo-key"], latency=args.latency,
                  error_rate=args.error_rate, drop_rate=args.drop_rate, rate_limit_rate=args.rate_limit_rate,
                  retry_after=args.retry_after, seed=args.seed)
            return 0
        if args.command == "push":
            return _push(args)
        return _recent(args)
    except (InwiseError, ValueError, FileNotFoundError) as exc:
        print(f"inwise-pandas: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
