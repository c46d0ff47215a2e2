"""``GET /contacts/recently_updated`` pages → one typed DataFrame."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa

from .client import Client, recent_params
from .normalize import to_text
from .progress import progress_bar

__all__ = ["read_recent", "read_journal", "contacts_frame", "DEFAULT_FIELD_NAMES"]

DEFAULT_FIELD_NAMES: dict[int, str] = {1: "first_name", 2: "last_name", 21: "birthdate"}
_LIST_KEYS = ("contacts", "data", "items", "results", "Contacts", "Data")
_ID_KEYS = ("id", "contact_id", "contactId", "Id")
_MOBILE_KEYS = ("mobile_number", "mobile", "mobileNumber", "MobileNumber")
_DATE_KEYS = ("created_date", "updated_date", "created_at", "updated_at", "create_date", "update_date",
              "created", "updated", "subscription_date", "last_update")
_TEXT_KEYS = ("email", "mobile_number", "confirmation_status", "external_id")


def contacts_of(page: Any) -> list[dict]:
    """The contacts in one answer: a bare list, or a list under a common key."""
    if isinstance(page, list):
        return [c for c in page if isinstance(c, dict)]
    if isinstance(page, dict):
        for key in _LIST_KEYS:
            if isinstance(page.get(key), list):
                return contacts_of(page[key])
        if any(k in page for k in _ID_KEYS):
            return [page]
    return []


def _field_items(raw: Any):
    """(name, content) pairs from fields given as a list of {name, content} or as an object."""
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, dict):
                yield item.get("name", item.get("field_name")), item.get("content", item.get("value"))
    elif isinstance(raw, Mapping):
        yield from raw.items()


def _group_ids(raw: Any) -> list[int] | None:
    if raw is None:
        return None
    if type(raw) is list and all(type(v) is int for v in raw):
        return raw
    out = []
    for item in raw if isinstance(raw, list) else [raw]:
        value = item.get("id", item.get("group_id")) if isinstance(item, dict) else item
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _first_key(contact: dict, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if key in contact:
            return contact[key]
    return None


def _columns(contacts: list[dict], names: Mapping[int, str]) -> dict[str, list]:
    """Contacts → column lists, in one pass; tolerant of every shape in the assumptions document."""
    n = len(contacts)
    columns: dict[str, list] = {
        "id": [_first_key(c, _ID_KEYS) for c in contacts],
        "email": [c.get("email") for c in contacts],
        "mobile_number": [_first_key(c, _MOBILE_KEYS) for c in contacts],
        "confirmation_status": [c.get("confirmation_status") for c in contacts],
        "external_id": [c.get("external_id") for c in contacts],
    }
    present = set().union(*(c.keys() for c in contacts[:100])) if contacts else set()
    for key in _DATE_KEYS:
        if key in present:
            columns[key] = [c.get(key) for c in contacts]
    group_key = next((k for k in ("groups", "groups_ids", "group_ids") if k in present), None)
    if group_key:
        columns["groups"] = [_group_ids(c.get(group_key)) for c in contacts]
    labels: dict[Any, str | None] = {}
    fields: dict[str, list] = {}
    for row, contact in enumerate(contacts):
        raw = contact.get("fields", contact.get("personal_fields"))
        if raw is None:
            continue
        for name, content in _field_items(raw):
            label = labels.get(name, "")
            if label == "":
                number = str(name).lower().removeprefix("field")
                label = labels[name] = names.get(int(number), f"field{int(number)}") if number.isdigit() else None
            if label is not None:
                column = fields.get(label)
                if column is None:
                    column = fields[label] = [None] * n
                column[row] = content
    columns.update(fields)
    return columns


def _as_text(values: pd.Series) -> pd.Series:
    """Text dtype; numbers (a mobile sent back as a number) become digits, never floats."""
    return to_text(values, strip=False).astype("string")


def contacts_frame(contacts: list[dict], *, field_names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Flatten contacts into the typed frame ``read_recent`` returns."""
    names = {**DEFAULT_FIELD_NAMES, **(field_names or {})}
    return _typed(pd.DataFrame(_columns(contacts, names)) if contacts else pd.DataFrame(), names)


def _typed(frame: pd.DataFrame, names: Mapping[int, str]) -> pd.DataFrame:
    """Fix the dtypes and column order of a flattened frame."""
    base = ["id", "email", "mobile_number", "confirmation_status", "external_id"]
    for column in base + [names[n] for n in sorted(names)]:
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    frame["id"] = pd.to_numeric(frame["id"], errors="coerce").astype("Int64")
    for column in _TEXT_KEYS:
        frame[column] = _as_text(frame[column])
    for column in frame.columns:
        if column in _DATE_KEYS:
            frame[column] = _dates(frame[column])
        elif column not in base and column != "groups":
            frame[column] = _typed_field(frame[column])
    fields = [c for c in frame.columns if c not in base and c not in _DATE_KEYS and c != "groups"]
    dates = [c for c in frame.columns if c in _DATE_KEYS]
    order = base + (["groups"] if "groups" in frame else []) + dates + fields
    return frame[order]


def _dates(values: pd.Series) -> pd.Series:
    """ISO timestamps (the common case, parsed fast) or any other date text; naive UTC."""
    text = values.astype("string")
    try:
        parsed = pd.to_datetime(text, errors="raise", format="ISO8601", utc=True)
    except (ValueError, TypeError):
        parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    return parsed.dt.tz_localize(None)


def _typed_field(values: pd.Series) -> pd.Series:
    text = _as_text(values)
    present = text.dropna()
    if len(present) and present.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").all():
        return pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    return text


def _pages(client: Client, *, limit: int, reset: bool, search: bool, all_pages: bool,
           journal: _Journal | None) -> Iterator[list[dict]]:
    """Pages in order; the next page is fetched (and journaled) while the caller works on this one."""

    def fetch(first: bool) -> list[dict]:
        page = contacts_of(client.recently_updated(limit=limit, reset=reset and first,
                                                   search_by_updated_or_added_date=search))
        if journal is not None:
            journal.append(page)  # durable before anyone sees it: the server will not send it again
        return page

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="inwise-read") as pool:
        page = fetch(True)
        while True:
            more = all_pages and len(page) >= limit
            upcoming = pool.submit(fetch, False) if more else None
            yield page
            if upcoming is None:
                return
            page = upcoming.result()


class _Journal:
    """Append-only page log: one JSON line per page, flushed and fsynced."""

    def __init__(self, path: str | os.PathLike):
        self._handle = open(path, "ab")

    def append(self, page: list[dict]) -> None:
        if page:
            self._handle.write(orjson.dumps(page) + b"\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()


def _arrow_part(part: dict[str, list]) -> dict[str, Any]:
    """Turn a page's text columns into arrow arrays now, while the next page is on its way."""
    out: dict[str, Any] = {}
    for name, values in part.items():
        if name in ("id", "groups"):
            out[name] = values
            continue
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
            out[name] = values
            continue
        out[name] = array if pa.types.is_string(array.type) or pa.types.is_null(array.type) else values
    return out


def _concat(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Join page columns: arrow text stays arrow (no Python objects), anything else becomes a list."""
    names = list(dict.fromkeys(name for part in parts for name in part))
    sizes = [len(part["id"]) for part in parts]
    out: dict[str, Any] = {}
    for name in names:
        pieces = [part.get(name) for part in parts]
        if all(isinstance(p, pa.Array) or p is None for p in pieces):
            arrays = [pa.nulls(n, pa.string()) if p is None or pa.types.is_null(p.type) else p
                      for p, n in zip(pieces, sizes)]
            out[name] = pd.arrays.ArrowStringArray(pa.chunked_array(arrays, type=pa.string()))
            continue
        column: list = []
        for piece, n in zip(pieces, sizes):
            if piece is None:
                column.extend([None] * n)
            else:
                column.extend(piece.to_pylist() if isinstance(piece, pa.Array) else piece)
        out[name] = column
    return out


def read_recent(
    *,
    client: Client | None = None,
    limit: int = 1000,
    reset: bool = False,
    search_by_updated_or_added_date: bool = False,
    all_pages: bool = False,
    field_names: Mapping[int, str] | None = None,
    progress: bool = True,
    journal: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Read recently created (or updated) contacts into a typed DataFrame.

    The endpoint is consume-once: with ``reset=False`` a contact returned once is not returned
    again. Pass ``journal=path`` to append each page to a file (fsynced) before it is handed on,
    so a crash loses nothing: :func:`read_journal` rebuilds the frame.

    Example:
        >>> recent = read_recent(client=client, all_pages=True)        # doctest: +SKIP
        >>> recent[["id", "email", "mobile_number", "first_name"]]      # doctest: +SKIP
    """
    recent_params(limit=limit, reset=reset, search_by_updated_or_added_date=search_by_updated_or_added_date)
    client = client or Client()
    names = {**DEFAULT_FIELD_NAMES, **(field_names or {})}
    bar = progress_bar(progress and all_pages, desc="inwise recently_updated", unit="contact")
    log = _Journal(journal) if journal else None
    with _gc_paused():
        frame = _read_pages(client, limit, reset, search_by_updated_or_added_date, all_pages, names, bar, log)
    return frame


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic GC while pages become Python objects: its scans would double the parse time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_pages(client, limit, reset, search, all_pages, names, bar, log) -> pd.DataFrame:
    parts: list[dict[str, list]] = []
    try:
        for page in _pages(client, limit=limit, reset=reset, search=search, all_pages=all_pages, journal=log):
            if page:
                parts.append(_arrow_part(_columns(page, names)))
            bar.update(len(page))
    finally:
        bar.close()
        if log is not None:
            log.close()
    return _typed(pd.DataFrame(_concat(parts)) if parts else pd.DataFrame(), names)


def read_journal(path: str | os.PathLike, *, field_names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Rebuild the frame from a ``read_recent(journal=...)`` file; a contact seen twice is kept once (last)."""
    contacts: list[dict] = []
    with Path(path).open("rb") as handle:
        for line in handle:
            try:
                contacts.extend(contacts_of(orjson.loads(line)))
            except orjson.JSONDecodeError:
                break  # a page cut short by a crash was never handed on
    frame = contacts_frame(contacts, field_names=field_names)
    return frame.drop_duplicates("id", keep="last", ignore_index=True) if len(frame) else frame
