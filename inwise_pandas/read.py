"""``GET /contacts/recently_updated`` pages → one typed DataFrame."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .client import Client, recent_params
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


def _fields_of(contact: dict) -> dict[int, Any]:
    raw = contact.get("fields", contact.get("personal_fields"))
    out: dict[int, Any] = {}
    if isinstance(raw, Mapping):
        items = raw.items()
    elif isinstance(raw, list):
        items = [(f.get("name", f.get("field_name")), f.get("content", f.get("value"))) for f in raw if isinstance(f, dict)]
    else:
        return out
    for name, content in items:
        text = str(name).lower().removeprefix("field")
        if text.isdigit():
            out[int(text)] = content
    return out


def _groups_of(contact: dict) -> list[int] | None:
    raw = contact.get("groups", contact.get("groups_ids", contact.get("group_ids")))
    if raw is None:
        return None
    if not isinstance(raw, list):
        raw = [raw]
    out = []
    for item in raw:
        value = item.get("id", item.get("group_id")) if isinstance(item, dict) else item
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _flatten(contact: dict, names: Mapping[int, str]) -> dict:
    row: dict[str, Any] = {}
    row["id"] = next((contact[k] for k in _ID_KEYS if k in contact), None)
    row["email"] = contact.get("email")
    row["mobile_number"] = next((contact[k] for k in _MOBILE_KEYS if k in contact), None)
    row["confirmation_status"] = contact.get("confirmation_status")
    row["external_id"] = contact.get("external_id")
    for key in _DATE_KEYS:
        if key in contact:
            row[key] = contact[key]
    groups = _groups_of(contact)
    if groups is not None:
        row["groups"] = groups
    for number, content in _fields_of(contact).items():
        row[names.get(number, f"field{number}")] = content
    return row


def _as_text(values: pd.Series) -> pd.Series:
    def one(v):
        if v is None or (isinstance(v, float) and v != v):
            return None
        if isinstance(v, float) and v == int(v):
            return str(int(v))
        return str(v)

    return pd.Series([one(v) for v in values], index=values.index, dtype="string")


def contacts_frame(contacts: list[dict], *, field_names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Flatten contacts into the typed frame ``read_recent`` returns."""
    names = {**DEFAULT_FIELD_NAMES, **(field_names or {})}
    frame = pd.DataFrame.from_records([_flatten(c, names) for c in contacts])
    base = ["id", "email", "mobile_number", "confirmation_status", "external_id"]
    for column in base + [names[n] for n in sorted(names)]:
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype=object)
    frame["id"] = pd.to_numeric(frame["id"], errors="coerce").astype("Int64")
    for column in _TEXT_KEYS:
        frame[column] = _as_text(frame[column])
    for column in frame.columns:
        if column in _DATE_KEYS:
            frame[column] = pd.to_datetime(frame[column], errors="coerce", utc=False, format="mixed")
        elif column not in base and column != "groups":
            frame[column] = _typed_field(frame[column])
    fields = [c for c in frame.columns if c not in base and c not in _DATE_KEYS and c != "groups"]
    dates = [c for c in frame.columns if c in _DATE_KEYS]
    order = base + (["groups"] if "groups" in frame else []) + dates + fields
    return frame[order]


def _typed_field(values: pd.Series) -> pd.Series:
    text = _as_text(values)
    present = text.dropna()
    if len(present) and present.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").all():
        return pd.to_datetime(text, format="%d/%m/%Y", errors="coerce")
    return text


def _pages(client: Client, *, limit: int, reset: bool, search: bool, all_pages: bool) -> Iterator[list[dict]]:
    first = True
    while True:
        page = contacts_of(client.recently_updated(limit=limit, reset=reset and first,
                                                   search_by_updated_or_added_date=search))
        first = False
        yield page
        if not all_pages or len(page) < limit:
            return


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
    contacts: list[dict] = []
    bar = progress_bar(progress and all_pages, desc="inwise recently_updated", unit="contact")
    handle = open(journal, "a", encoding="utf-8") if journal else None
    try:
        for page in _pages(client, limit=limit, reset=reset, search=search_by_updated_or_added_date,
                           all_pages=all_pages):
            if handle is not None and page:
                handle.write(json.dumps(page, ensure_ascii=False) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            contacts.extend(page)
            bar.update(len(page))
    finally:
        bar.close()
        if handle is not None:
            handle.close()
    return contacts_frame(contacts, field_names=field_names)


def read_journal(path: str | os.PathLike, *, field_names: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Rebuild the frame from a ``read_recent(journal=...)`` file; a contact seen twice is kept once (last)."""
    contacts: list[dict] = []
    with Path(path).open("r", encoding="utf-8") as handle:
        for line in handle:
            try:
                contacts.extend(contacts_of(json.loads(line)))
            except json.JSONDecodeError:
                break  # a page cut short by a crash was never handed on
    frame = contacts_frame(contacts, field_names=field_names)
    return frame.drop_duplicates("id", keep="last", ignore_index=True) if len(frame) else frame
