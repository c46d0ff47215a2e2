"""Pure builders: prepared frame → the exact request bodies the API documents."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import MappingError
from .options import SendOptions

__all__ = ["encode_body", "upsert_bodies", "batch_bodies", "BATCH_HEADERS", "check_batchable"]

#: CSV header used for each target in ``csv_file``, and the documented ``field_name`` it maps to.
BATCH_HEADERS = {"email": ("Email", "[Email]"), "mobile": ("Mobile", "[MobileNumber]")}


def encode_body(body: dict) -> bytes:
    """The bytes sent on the wire: compact UTF-8 JSON (Hebrew stays 2 bytes a letter)."""
    return orjson.dumps(body)


def _mobile_keys(options: SendOptions) -> dict:
    keys: dict = {}
    if options.trim_leading_zero:
        keys["trim_mobile_number_leading_zero"] = True
    if options.country_code:
        keys["add_default_country_to_mobile_number_only_if_not_exists"] = True
        keys["mobile_number_default_country_code"] = options.country_code
    return keys


def _constant_keys(options: SendOptions) -> dict:
    keys: dict = {}
    if options.confirmation_status is not None:
        keys["confirmation_status"] = options.confirmation_status
    if options.groups_to_add:
        keys["add_to_groups_ids"] = list(options.groups_to_add)
    if options.remove_from_groups_ids:
        keys["remove_from_groups_ids"] = list(options.remove_from_groups_ids)
    if options.remove_from_all_other_groups is not None:
        keys["remove_from_all_other_groups"] = bool(options.remove_from_all_other_groups)
    if options.clear_existing_fields is not None:
        keys["clear_existing_fields"] = bool(options.clear_existing_fields)
    return keys


def upsert_bodies(rows: pd.DataFrame, options: SendOptions) -> list[dict]:
    """One ``POST /contacts`` body per row of a prepared frame; missing values are left out."""
    field_cols = [c for c in rows.columns if c.startswith("field") and c[5:].isdigit()]
    constant = _constant_keys(options)
    mobile_keys = _mobile_keys(options)

    def values(name: str) -> list:
        if name not in rows:
            return [None] * len(rows)
        return rows[name].astype(object).where(rows[name].notna(), None).tolist()

    ids, emails, mobiles = values("id"), values("email"), values("mobile")
    external, status = values("external_id"), values("confirmation_status")
    fields = [values(c) for c in field_cols]
    bodies = []
    for i in range(len(rows)):
        body: dict = {}
        if ids[i] is not None:
            body["id"] = int(ids[i])
        if emails[i] is not None:
            body["email"] = emails[i]
        if mobiles[i] is not None:
            body["mobile_number"] = mobiles[i]
            body.update(mobile_keys)
        row_fields = [{"name": name, "content": col[i]} for name, col in zip(field_cols, fields) if col[i] is not None]
        if row_fields:
            body["fields"] = row_fields
        body.update(constant)
        if status[i] is not None:
            body["confirmation_status"] = status[i]
        if external[i] is not None:
            body["external_id"] = external[i]
        bodies.append(body)
    return bodies


def check_batchable(columns: list[str], options: SendOptions) -> None:
    """batchInsert documents only email, mobile and personal fields; say so before sending."""
    extra = [c for c in columns if c in ("id", "external_id", "confirmation_status")]
    problems = extra + options.upsert_only
    if problems:
        raise MappingError(
            f"{', '.join(problems)} cannot be sent by batchInsert (it documents only email, mobile, "
            "personal fields, group_id, updateExistingContacts, country_code and trim_leading_zero); "
            "use mode='upsert'"
        )


def _headers(columns: list[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for name in columns:
        if name in BATCH_HEADERS:
            out[name] = BATCH_HEADERS[name]
        elif name.startswith("field"):
            out[name] = (f"Field{name[5:]}", name[5:])
    return out


def _batch_options(options: SendOptions) -> dict:
    keys: dict = {}
    if options.group_id:
        keys["group_id"] = options.group_id
    keys["updateExistingContacts"] = bool(options.update_existing_contacts)
    if options.country_code:
        keys["country_code"] = options.country_code
    if options.trim_leading_zero:
        keys["trim_leading_zero"] = True
    return keys


def _csv_text(table: pa.Table) -> str:
    # pyarrow quotes every text value (valid RFC 4180) and writes ~10x faster than the csv module.
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed", include_header=False))
    return ",".join(table.column_names) + "\n" + sink.getvalue().to_pybytes().decode("utf-8")


def _row_bytes(table: pa.Table) -> np.ndarray:
    """Upper estimate of each row's bytes in the JSON-escaped CSV."""
    total = np.full(table.num_rows, table.num_columns, dtype="int64")
    for column in table.columns:
        filled = pc.fill_null(column, "")
        size = pc.binary_length(filled).to_numpy(zero_copy_only=False).astype("int64")
        # Each value is quoted (two escaped quotes); inner quotes are doubled, then JSON-escaped.
        special = pc.count_substring_regex(filled, r'["\\\n\r\t]').to_numpy(zero_copy_only=False).astype("int64")
        total += size + 4 + 3 * special
    return total


def batch_bodies(rows: pd.DataFrame, options: SendOptions) -> Iterator[tuple[np.ndarray, dict]]:
    """Yield ``(row positions, body)`` chunks for ``POST /contacts/batchInsert``.

    Chunks hold at most ``options.chunk_size`` rows and encode to at most
    ``options.max_body_bytes``; every row lands in exactly one chunk.
    """
    columns = [c for c in rows.columns if c in BATCH_HEADERS or (c.startswith("field") and c[5:].isdigit())]
    check_batchable([c for c in rows.columns if c in ("id", "external_id", "confirmation_status")], options)
    headers = _headers(columns)
    mapping = [{"field_name": headers[c][1], "file_column_name": headers[c][0]} for c in columns]
    table = pa.Table.from_arrays(
        [pa.array(rows[c].astype("string[pyarrow]").array, type=pa.string()) for c in columns],
        names=[headers[c][0] for c in columns],
    )
    positions = np.arange(len(rows))
    extra = _batch_options(options)
    overhead = len(encode_body({"csv_file": ",".join(h for h, _ in headers.values()) + "\n",
                                "fields_mapping": mapping, **extra}))
    budget = max(options.max_body_bytes - overhead, 1)
    sizes = _row_bytes(table)
    start = 0
    while start < len(rows):
        stop = min(start + options.chunk_size, len(rows))
        cumulative = np.cumsum(sizes[start:stop])
        fits = int(np.searchsorted(cumulative, budget, side="right"))
        stop = start + max(fits, 1)
        yield from _fit(table, positions, start, stop, mapping, extra, options.max_body_bytes)
        start = stop


def _fit(table, positions, start, stop, mapping, extra, limit) -> Iterator[tuple[np.ndarray, dict]]:
    body = {"csv_file": _csv_text(table.slice(start, stop - start)), "fields_mapping": mapping, **extra}
    if stop - start > 1 and len(encode_body(body)) > limit:
        middle = (start + stop) // 2
        yield from _fit(table, positions, start, middle, mapping, extra, limit)
        yield from _fit(table, positions, middle, stop, mapping, extra, limit)
        return
    yield positions[start:stop], body
