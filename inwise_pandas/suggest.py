"""Guess the inwise field of each column from its header and its values."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from .mapping import header_key

# Header keys (see header_key) → target; checked for equality first, then for containment.
_NAME_RULES: list[tuple[str, tuple[str, ...]]] = [
    ("email", ("email", "emailaddress", "mail", "emails", "אימייל", "דואל", "מייל", "דוארלקטרוני")),
    ("mobile", ("mobile", "mobilenumber", "mobilephone", "cell", "cellphone", "cellular", "phone",
                "phonenumber", "tel", "telephone", "נייד", "טלפוןנייד", "טלפון", "פלאפון", "סלולרי")),
    ("field1", ("first", "firstname", "fname", "givenname", "name", "שםפרטי", "שם")),
    ("field2", ("last", "lastname", "lname", "surname", "familyname", "שםמשפחה", "משפחה")),
    ("field21", ("birthday", "birthdate", "dateofbirth", "dob", "born", "תאריךלידה", "יוםהולדת")),
    ("external_id", ("externalid", "customerid", "crmid", "clientid", "מזההחיצוני")),
    ("confirmation_status", ("confirmationstatus", "status", "subscribed", "optin")),
]
_CONTAINS = {"email": ("email", "mail", "דואל", "מייל"), "mobile": ("mobile", "phone", "cell", "נייד"),
             "field21": ("birth", "לידה"), "field2": ("lastname", "surname", "משפחה"),
             "field1": ("firstname", "פרטי")}

_EMAIL_LIKE = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
_PHONE_LIKE = r"^\s*\+?[\d\s\-\(\)\.]{8,20}\s*$"


def _by_name(column: Hashable) -> str | None:
    key = header_key(column)
    for target, names in _NAME_RULES:
        if key in names:
            return target
    for target, parts in _CONTAINS.items():
        if any(part in key for part in parts):
            return target
    return None


def _by_content(values: pd.Series) -> str | None:
    values = values.dropna()
    if values.empty:
        return None
    if pd.api.types.is_numeric_dtype(values):
        digits = values[(values == values.round()) & (values.abs() >= 1e7) & (values.abs() < 1e15)]
        return "mobile" if len(digits) >= 0.6 * len(values) else None
    text = values.astype(str)
    if text.str.match(_EMAIL_LIKE).mean() >= 0.6:
        return "email"
    if text.str.match(_PHONE_LIKE).mean() >= 0.6:
        return "mobile"
    if pd.api.types.is_datetime64_any_dtype(values) or text.str.match(
        r"^\s*\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}\s*$"
    ).mean() >= 0.6:
        return "field21"
    return None


def suggest_targets(frame: pd.DataFrame, *, sample: int = 500) -> dict[Hashable, str]:
    """Column → target for the columns we can place; each target used once."""
    head = frame.head(sample)
    chosen: dict[Hashable, str] = {}
    used: set[str] = set()
    seen_columns: set = set()
    unique_columns = [c for c in frame.columns if not (c in seen_columns or seen_columns.add(c))]
    for column in unique_columns:
        target = _by_name(column)
        if target and target not in used:
            if target == "field21" and _by_content(_single(head, column)) in ("email", "mobile"):
                continue
            chosen[column] = target
            used.add(target)
    for column in unique_columns:
        if column in chosen or (frame.columns == column).sum() > 1:
            continue
        target = _by_content(_single(head, column))
        if target and target not in used:
            chosen[column] = target
            used.add(target)
    return {c: chosen[c] for c in unique_columns if c in chosen}


def _single(frame: pd.DataFrame, column: Hashable) -> pd.Series:
    data = frame[column]
    return data.iloc[:, 0] if isinstance(data, pd.DataFrame) else data
