"""Pre-flight validation, cleaning and de-duplication of contact lists (no network)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .mapping import FieldMapping
from .normalize import STR, MobileOptions, apply_mobile_options, mobile_digits, strip_invisible, to_text
from .options import SendOptions
from .prepare import find_duplicates, prepare

__all__ = ["validate_frame", "clean_frame", "dedupe_frame"]


def _labels(frame: pd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """Positions (NaN for none) → the frame's index labels (None for none)."""
    out = np.full(len(frame), None, dtype=object)
    present = ~np.isnan(positions)
    out[present] = frame.index.take(positions[present].astype("int64"))
    return out


def validate_frame(frame: pd.DataFrame, mapping: FieldMapping, *, strict: bool = False, **options: Any) -> pd.DataFrame:
    """What would happen to each row if it were pushed, and why.

    Returns one row per input row (same index) with ``email``, ``mobile`` (as it will be stored),
    ``email_status``/``mobile_status`` (``ok``/``missing``/``invalid``), ``email_reason``/``mobile_reason``,
    ``has_identifier``, ``duplicate_of`` (index of the first row of the same person), ``conflict_with``
    (the two rows this row's email and mobile point at, when they are different people), ``will_send``
    and ``error``.

    Example:
        >>> df = pd.DataFrame({"Email": ["dana@x.co", "bad"], "Mobile": ["054-1111111", None]})
        >>> df.inwise.validate({"Email": "email", "Mobile": "mobile"}, country_code="972",
        ...                    trim_leading_zero=True)[["email_status", "mobile", "will_send"]]
          email_status          mobile  will_send
        0           ok    972541111111       True
        1      invalid            <NA>      False
    """
    from .plan import plan

    send_options = SendOptions.from_kwargs(**options)
    the_plan = plan(frame, mapping, send_options, strict=strict)
    prepared, dup = the_plan.prepared, the_plan.duplicates
    out = pd.DataFrame(index=frame.index)
    for name, source in (("email", "email"), ("email_status", "email_status"), ("email_reason", "email_reason"),
                         ("mobile", "mobile_final"), ("mobile_status", "mobile_status"),
                         ("mobile_reason", "mobile_reason")):
        out[name] = prepared[source].astype(STR).set_axis(frame.index)
    out["has_identifier"] = prepared["has_identifier"].to_numpy()
    out["duplicate_of"] = _labels(frame, dup["duplicate_of"].to_numpy())
    conflict_with = np.full(len(frame), None, dtype=object)
    for pos in np.flatnonzero(dup["conflict"].to_numpy()):
        conflict_with[pos] = [frame.index[int(dup["conflict_email"].iat[pos])],
                              frame.index[int(dup["conflict_mobile"].iat[pos])]]
    out["conflict_with"] = conflict_with
    out["will_send"] = the_plan.status == ""
    out["error"] = pd.array(the_plan.error, dtype=STR)
    return out


def _changed(before: pd.Series, after: pd.Series) -> int:
    """How many values differ (missing equals missing)."""
    a, b = pa.chunked_array(before.astype(STR).array._pa_array), pa.chunked_array(after.astype(STR).array._pa_array)
    same = pc.or_(pc.fill_null(pc.equal(a, b), False), pc.and_(pc.is_null(a), pc.is_null(b)))
    return len(before) - pc.sum(same).as_py() if len(before) else 0


def clean_frame(
    frame: pd.DataFrame,
    mapping: FieldMapping,
    *,
    country_code: str | None = None,
    trim_leading_zero: bool = False,
    clean_fields: bool = True,
    report: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.Series]:
    """A cleaned copy: the server's mobile rules applied locally, emails and text tidied.

    Emails are trimmed, lowercased and stripped of invisible characters (zero-width, bidi marks,
    non-breaking spaces). Mobiles become digits (from text with dashes, spaces, parentheses or
    ``+``, or from floats), then the documented options apply: trim one leading zero, add the
    country code only if missing. Personal-field text is trimmed and stripped of invisible
    characters. Values that stay invalid are kept, never dropped: see :func:`validate_frame`.

    The number of values each rule changed is in ``cleaned.attrs["inwise_changes"]``, or returned
    beside the frame with ``report=True``.
    """
    mapping.check(frame)
    out = frame.copy()
    changes: dict[str, int] = {}
    targets = mapping.targets
    if "email" in targets:
        column = targets["email"]
        raw = to_text(frame[column], strip=False)
        visible = strip_invisible(raw)
        trimmed = visible.str.strip()
        lowered = trimmed.str.lower()
        changes["email: invisible characters removed"] = _changed(raw, visible)
        changes["email: spaces trimmed"] = _changed(visible, trimmed)
        changes["email: lowercased"] = _changed(trimmed, lowered)
        out[column] = lowered.mask(lowered == "")
    if "mobile" in targets:
        column = targets["mobile"]
        original = frame[column]
        raw = to_text(original)
        digits, _ = mobile_digits(original)
        trimmed = apply_mobile_options(digits, MobileOptions(None, trim_leading_zero))
        final = apply_mobile_options(digits, MobileOptions(country_code, trim_leading_zero))
        changes["mobile: float turned into digits"] = int(_float_values(original).sum())
        changes["mobile: formatting removed"] = _changed(raw, digits)
        changes["mobile: leading zero trimmed"] = _changed(digits, trimmed)
        changes["mobile: country code added"] = _changed(trimmed, final)
        out[column] = final
    if clean_fields:
        fixed = 0
        for column in [c for c, t in mapping.items() if t.startswith("field")]:
            values = frame[column]
            if pd.api.types.is_string_dtype(values) or values.dtype == object:
                text = values.astype(STR)
                tidy = strip_invisible(text).str.strip()
                fixed += _changed(text, tidy)
                out[column] = tidy.mask(tidy == "").astype(values.dtype if values.dtype != object else STR)
        changes["personal fields: trimmed or invisible characters removed"] = fixed
    report_series = pd.Series(changes, name="values changed", dtype="int64")
    out.attrs["inwise_changes"] = changes
    return (out, report_series) if report else out


def _float_values(values: pd.Series) -> np.ndarray:
    """Which values are floats (a spreadsheet's mobiles); object columns are checked per distinct value."""
    if pd.api.types.is_float_dtype(values):
        return values.notna().to_numpy()
    if values.dtype != object:
        return np.zeros(len(values), dtype=bool)
    codes, uniques = pd.factorize(values)
    is_float = np.array([isinstance(u, (float, np.floating)) for u in uniques] + [False], dtype=bool)
    return is_float[codes]


def dedupe_frame(frame: pd.DataFrame, mapping: FieldMapping, *, keep: str = "first") -> pd.DataFrame:
    """One row per person: rows joined by email or by mobile, gaps filled from the other rows.

    ``keep`` picks whose values win when rows disagree: ``"first"``, ``"last"`` or
    ``"most_complete"`` (the row with the most values). Rows without an identifier and in-frame
    conflicts stay as they are. The index of each kept row is that of the person's first row; the
    number of rows merged is in ``.attrs["inwise_merged_rows"]``.
    """
    if keep not in ("first", "last", "most_complete"):
        raise ValueError(f"keep must be 'first', 'last' or 'most_complete', got {keep!r}")
    prepared = prepare(frame, mapping, SendOptions())
    groups = find_duplicates(prepared)["group"].to_numpy()
    positional = frame.reset_index(drop=True)
    if keep == "most_complete":
        order = positional.notna().sum(axis=1).sort_values(ascending=False, kind="stable").index
        merged = positional.loc[order].groupby(groups[order], sort=True).first()
    else:
        grouped = positional.groupby(groups, sort=True)
        merged = grouped.last() if keep == "last" else grouped.first()
    merged = merged[list(frame.columns)] if frame.columns.is_unique else merged
    merged.index = frame.index[merged.index.to_numpy()]
    merged.attrs["inwise_merged_rows"] = int(len(frame) - len(merged))
    return merged
