"""Frame + mapping → one canonical, validated frame (the step before building bodies).

The prepared frame has a RangeIndex (row positions); callers put the user's index back.
Columns: ``email``, ``mobile`` (digits as sent), ``mobile_final`` (after the mobile options),
``id``, ``external_id``, ``confirmation_status``, ``field<N>``, statuses and reasons, ``error``
(why a row cannot be sent) and ``sendable``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .mapping import FieldMapping
from .normalize import (
    STR,
    apply_mobile_options,
    check_email,
    check_mobile,
    clean_email,
    mobile_digits,
    to_text,
)
from .options import SendOptions

__all__ = ["prepare", "content_columns", "find_duplicates"]


def _column(frame: pd.DataFrame, column) -> pd.Series:
    return frame[column].reset_index(drop=True)


def content_columns(prepared: pd.DataFrame) -> list[str]:
    """The columns that end up in a request body, in a stable order."""
    mapped = prepared.attrs.get("mapped", list(prepared.columns))
    order = ["id", "email", "mobile", "external_id", "confirmation_status"]
    fields = sorted((c for c in prepared.columns if c.startswith("field")), key=lambda c: int(c[5:]))
    return [c for c in order if c in prepared.columns and c in mapped] + fields


def prepare(frame: pd.DataFrame, mapping: FieldMapping, options: SendOptions, *, strict: bool = False) -> pd.DataFrame:
    """Normalise and check every mapped value; never drops a row."""
    mapping.check(frame)
    n = len(frame)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    targets = mapping.targets
    errors: list[pd.Series] = []

    def label(target: str) -> str:
        return f"column {targets[target]!r}"

    if "email" in targets:
        out["email"] = clean_email(_column(frame, targets["email"]))
        out["email_status"], out["email_reason"] = check_email(out["email"])
        if strict:
            out["email_status"], out["email_reason"] = _strict_email(out["email"], out["email_status"], out["email_reason"])
        errors.append(_reason_text(out["email_status"] == "invalid", label("email"), out["email_reason"]))
    else:
        out["email"] = pd.Series(pd.NA, index=out.index, dtype=STR)
        out["email_status"] = pd.Series("missing", index=out.index, dtype=STR)
        out["email_reason"] = pd.Series(pd.NA, index=out.index, dtype=STR)

    if "mobile" in targets:
        digits, pre = mobile_digits(_column(frame, targets["mobile"]))
        out["mobile"] = digits
        out["mobile_final"] = apply_mobile_options(digits, options.mobile)
        out["mobile_status"], out["mobile_reason"] = check_mobile(out["mobile_final"], pre)
        if strict:
            out["mobile_status"], out["mobile_reason"] = _strict_mobile(out["mobile_final"], out["mobile_status"], out["mobile_reason"])
        errors.append(_reason_text(out["mobile_status"] == "invalid", label("mobile"), out["mobile_reason"]))
    else:
        for name in ("mobile", "mobile_final", "mobile_reason"):
            out[name] = pd.Series(pd.NA, index=out.index, dtype=STR)
        out["mobile_status"] = pd.Series("missing", index=out.index, dtype=STR)

    if "id" in targets:
        ids = to_text(_column(frame, targets["id"]))
        bad = ids.notna() & ~ids.str.fullmatch(r"\d{1,18}").fillna(False).astype(bool)
        out["id"] = ids.mask(ids == "0")
        errors.append(_reason_text(bad, label("id"), pd.Series("a contact id is a whole number", index=out.index)))
    for target in ("external_id", "confirmation_status"):
        if target in targets:
            out[target] = to_text(_column(frame, targets[target]))
    for target in sorted((t for t in targets if t.startswith("field")), key=lambda t: int(t[5:])):
        out[target] = to_text(_column(frame, targets[target]), date_format=options.date_format)

    out["has_identifier"] = (
        (out["email_status"] == "ok") | (out["mobile_status"] == "ok") | (out["id"].notna() if "id" in out else False)
    ).astype(bool)
    none = ~out["has_identifier"] & (out["email_status"] == "missing") & (out["mobile_status"] == "missing")
    errors.append(_reason_text(none, "no email and no mobile", None))
    out["error"] = _join_reasons(errors, n)
    out["sendable"] = out["error"].isna().to_numpy()
    out.attrs["mapped"] = list(targets)
    return out


def _reason_text(mask: pd.Series, prefix: str, reason: pd.Series | None) -> pd.Series:
    mask = pd.Series(np.asarray(mask.fillna(False), dtype=bool))
    text = pd.Series(pd.NA, index=mask.index, dtype=STR)
    if mask.any():
        text[mask] = prefix if reason is None else (prefix + ": " + reason.reset_index(drop=True)[mask].fillna("invalid"))
    return text


def _join_reasons(parts: list[pd.Series], n: int) -> pd.Series:
    joined = pd.Series(pd.NA, index=pd.RangeIndex(n), dtype=STR)
    parts = [part for part in parts if part.notna().any()]
    for part in parts:
        joined = joined.mask(joined.isna(), part).mask(joined.notna() & part.notna(), joined + "; " + part)
    return joined


def _strict_email(email: pd.Series, status: pd.Series, reason: pd.Series):
    """email-validator on the distinct values that passed the fast check."""
    try:
        from email_validator import EmailNotValidError, validate_email
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("strict=True needs email-validator: pip install 'inwise-pandas[strict]'") from exc
    candidates = email[status == "ok"].dropna().unique()
    verdicts = {}
    for value in candidates:
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError as exc:
            verdicts[value] = f"strict check: {exc}"
    flagged = email.map(verdicts).astype(STR)
    return status.mask(flagged.notna(), "invalid"), reason.mask(flagged.notna(), flagged)


def _strict_mobile(mobile: pd.Series, status: pd.Series, reason: pd.Series):
    """phonenumbers on the distinct values that passed the fast check."""
    try:
        import phonenumbers
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("strict=True needs phonenumbers: pip install 'inwise-pandas[strict]'") from exc
    verdicts = {}
    for value in mobile[status == "ok"].dropna().unique():
        try:
            number = phonenumbers.parse("+" + value)
            if not phonenumbers.is_valid_number(number):
                verdicts[value] = "strict check: not a valid number for its country"
            elif phonenumbers.number_type(number) not in (
                phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
            ):
                verdicts[value] = "strict check: not a mobile number"
        except phonenumbers.NumberParseException as exc:
            verdicts[value] = f"strict check: {exc}"
    flagged = mobile.map(verdicts).astype(STR)
    return status.mask(flagged.notna(), "invalid"), reason.mask(flagged.notna(), flagged)


def _codes(keys: pd.Series, eligible: np.ndarray) -> np.ndarray:
    """Integer code per distinct key, numbered in order of first appearance; -1 where not eligible."""
    codes, _ = pd.factorize(keys, sort=False, use_na_sentinel=True)
    return np.where(eligible, codes, -1)


def _first_position(codes: np.ndarray) -> np.ndarray:
    """For each row, the first position sharing its code (NaN where the row has none)."""
    n = len(codes)
    valid = codes >= 0
    first = np.full(codes.max() + 1 if valid.any() else 0, np.nan)
    positions = np.arange(n, dtype="float64")
    # Writing in reverse lets each code's earliest position win.
    first[codes[valid][::-1]] = positions[valid][::-1]
    out = np.full(n, np.nan)
    out[valid] = first[codes[valid]]
    return out


def _components(code_sets: list[np.ndarray], eligible: np.ndarray) -> np.ndarray:
    """Label each eligible row with the first position of the person it joins by email or mobile."""
    labels = np.arange(len(eligible), dtype="float64")
    for _ in range(64):
        before = labels.copy()
        for codes in code_sets:
            valid = (codes >= 0) & eligible
            if not valid.any():
                continue
            smallest = np.full(codes.max() + 1, np.inf)
            np.minimum.at(smallest, codes[valid], labels[valid])
            labels[valid] = np.fmin(labels[valid], smallest[codes[valid]])
        if np.array_equal(before, labels):
            break
    return labels


def find_duplicates(prepared: pd.DataFrame) -> pd.DataFrame:
    """``group`` (first position of the person), ``duplicate_of``, and for conflicts the positions
    ``conflict_email`` / ``conflict_mobile`` that the row's email and mobile point at.

    A conflict is a row whose email points at one person in the frame and whose mobile points at
    another: inwise would answer it with 422.
    """
    return duplicates_by_keys(prepared["email"], (prepared["email_status"] == "ok").to_numpy(),
                              prepared["mobile_final"], (prepared["mobile_status"] == "ok").to_numpy(),
                              prepared["sendable"].to_numpy())


def duplicates_by_keys(email_keys, email_ok: np.ndarray, mobile_keys, mobile_ok: np.ndarray,
                       sendable: np.ndarray) -> pd.DataFrame:
    """:func:`find_duplicates` on key arrays (normalised values, or 64-bit hashes of them)."""
    email = _codes(pd.Series(email_keys), sendable & email_ok)
    mobile = _codes(pd.Series(mobile_keys), sendable & mobile_ok)
    n = len(sendable)
    pos = np.arange(n, dtype="float64")
    first_e = _first_position(email)
    first_m = _first_position(mobile)
    candidate = (
        sendable & ~np.isnan(first_e) & ~np.isnan(first_m) & (first_e != pos) & (first_m != pos) & (first_e != first_m)
    )
    groups = _components([email, mobile], sendable & ~candidate)
    e_group = np.where(np.isnan(first_e), np.nan, groups[np.nan_to_num(first_e).astype(int)])
    m_group = np.where(np.isnan(first_m), np.nan, groups[np.nan_to_num(first_m).astype(int)])
    conflict = candidate & (e_group != m_group)
    # A candidate whose two pointers meet in one person is only a duplicate of that person.
    groups = np.where(candidate & ~conflict, e_group, groups)
    groups = np.where(sendable & ~conflict, groups, pos)
    duplicate_of = np.where(groups != pos, groups, np.nan)
    return pd.DataFrame({
        "group": groups.astype("int64"),
        "duplicate_of": duplicate_of,
        "conflict": conflict,
        "conflict_email": np.where(conflict, first_e, np.nan),
        "conflict_mobile": np.where(conflict, first_m, np.nan),
    })
