"""The README's main job: a messy list → the sandbox → read back → a clear summary."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from .mapping import FieldMapping
from .read import read_recent
from .sandbox import sandbox

__all__ = ["load_sample", "run_demo"]


def load_sample() -> pd.DataFrame:
    """The messy sample contact list shipped with the package (325 rows, Hebrew and English)."""
    with resources.files("inwise_pandas").joinpath("data/sample_contacts.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False, na_values=[""])


def run_demo(*, upsert_rows: int = 60, out=print) -> int:
    """Push the sample (upserts for the first rows, batches for the rest), read it back, summarise."""
    frame = load_sample()
    mapping = FieldMapping.suggest(frame)
    out(f"Loaded {len(frame)} messy rows; suggested mapping: {mapping.to_dict()}")
    options = {"country_code": "972", "trim_leading_zero": True, "group_id": "715983"}
    with sandbox(api_key="demo-key") as sb:
        client = sb.client()
        out(f"Local inwise sandbox at {sb.url} (no account, no network)")
        first = frame.iloc[:upsert_rows].inwise.push(mapping, client=client, mode="upsert", progress=False, **options)
        rest = frame.iloc[upsert_rows:].inwise.push(mapping, client=client, mode="batch", progress=False,
                                                     chunk_size=100, **options)
        recent = read_recent(client=client, all_pages=True, progress=False)
    out("")
    for name, result in (("upsert", first), ("batch", rest)):
        counts = ", ".join(f"{k} {v}" for k, v in result.summary.items() if v)
        out(f"{name:>6}: {len(result.rows)} rows → {counts}  ({result.requests} requests)")
    rows = pd.concat([first.rows, rest.rows])
    merged = int(rows["merged_into"].notna().sum())
    if merged:
        out(f"{'merged':>6}: {merged} rows were the same person as an earlier row (same email or mobile)")
    rejected = rows[~rows["status"].isin(["created", "updated", "submitted"])]
    if len(rejected):
        out(f"\nRejected before sending ({len(rejected)} rows), by reason:")
        reasons = rejected["error"].str.split(";").str[0]
        for reason, count in reasons.value_counts().items():
            out(f"  {count:4d}  {reason}")
    out(f"\nRead back with read_recent: {len(recent)} contacts in the account.")
    with pd.option_context("display.width", 120, "display.max_columns", 8):
        out(recent[["id", "email", "mobile_number", "first_name", "last_name", "birthdate"]].head(8).to_string())
    delivered = int(rows["status"].isin(["created", "updated", "submitted"]).sum())
    out(f"\nEvery input row has a status: {delivered} delivered + {len(rejected)} rejected = {len(rows)} rows.")
    return 0
