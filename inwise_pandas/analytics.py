"""Contact analytics: a profile table and plots, for a list before a push or one read back."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .mapping import FieldMapping
from .options import SendOptions
from .prepare import find_duplicates, prepare

__all__ = ["profile_frame", "plot_frame", "country_codes"]

_DATE_COLUMNS = ("created_date", "updated_date", "created_at", "updated_at")


def _mapping_for(frame: pd.DataFrame, mapping: Any) -> FieldMapping:
    if mapping is None:
        mapping = FieldMapping.suggest(frame)
    return mapping if isinstance(mapping, FieldMapping) else FieldMapping(mapping)


def country_codes(mobiles: pd.Series) -> pd.Series:
    """The E.164 country code of each international mobile ("972"), or "local" / missing."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

    known = {str(code) for code in COUNTRY_CODE_TO_REGION_CODE}
    text = mobiles.astype("string[pyarrow]")
    out = pd.Series(pd.NA, index=mobiles.index, dtype="string[pyarrow]")
    # Country codes form a prefix code: at most one of the 1-, 2- and 3-digit prefixes is a code.
    for length in (1, 2, 3):
        prefix = text.str.slice(0, length)
        out = out.mask(out.isna() & prefix.isin(known).fillna(False).astype(bool), prefix)
    local = text.str.startswith("0").fillna(False).astype(bool)
    return out.mask(local, "local")


def _counts(section: str, values: pd.Series, total: int, top: int | None = None) -> list[tuple]:
    counts = values.value_counts(dropna=True)
    if top is not None:
        counts = counts.head(top)
    return [(section, str(k), int(v), v / total if total else np.nan) for k, v in counts.items()]


def profile_frame(frame: pd.DataFrame, mapping: Any = None, *, top: int = 5, **options: Any) -> pd.DataFrame:
    """One table that answers "what does this list look like?".

    Rows are ``(section, item)`` with a ``count`` and a ``share`` of all rows: email and mobile
    validity, duplicates and in-frame conflicts, top email domains, mobile country codes,
    confirmation statuses, and group membership when a ``groups`` column holds lists of ids.
    Works on a list before a push and on a frame from ``read_recent`` alike.

    Example:
        >>> df.inwise.profile()            # doctest: +SKIP
    """
    mapping = _mapping_for(frame, mapping)
    prepared = prepare(frame, mapping, SendOptions.from_kwargs(**options))
    dup = find_duplicates(prepared)
    n = len(frame)
    rows: list[tuple] = [("rows", "total", n, 1.0 if n else np.nan)]
    for name in ("email", "mobile"):
        status = prepared[f"{name}_status"].value_counts()
        rows += [(name, s, int(status.get(s, 0)), status.get(s, 0) / n if n else np.nan)
                 for s in ("ok", "invalid", "missing")]
    duplicates = int(dup["duplicate_of"].notna().sum())
    rows += [("duplicates", "rows of a person already in the list", duplicates, duplicates / n if n else np.nan),
             ("duplicates", "in-frame conflicts", int(dup["conflict"].sum()), dup["conflict"].mean() if n else np.nan),
             ("rows", "will be sent", int(prepared["sendable"].sum()), prepared["sendable"].mean() if n else np.nan)]
    reasons = pd.concat([prepared["email_reason"].where(prepared["email_status"] == "invalid"),
                         prepared["mobile_reason"].where(prepared["mobile_status"] == "invalid")])
    rows += _counts("invalid reasons", reasons, n, top)
    domains = prepared["email"].where(prepared["email_status"] == "ok").str.extract(r"@(.+)$", expand=False)
    rows += _counts("email domains", domains, n, top)
    mobiles = prepared["mobile_final"].where(prepared["mobile_status"] == "ok")
    rows += _counts("mobile country codes", country_codes(mobiles), n, top)
    if "confirmation_status" in prepared:
        rows += _counts("confirmation status", prepared["confirmation_status"], n)
    elif "confirmation_status" in frame:
        rows += _counts("confirmation status", frame["confirmation_status"].reset_index(drop=True), n)
    if "groups" in frame:
        groups = frame["groups"].dropna().explode().dropna()
        rows += _counts("groups", groups.astype("int64").astype(str), n, top)
    table = pd.DataFrame(rows, columns=["section", "item", "count", "share"]).set_index(["section", "item"])
    table["count"] = table["count"].astype("int64")
    return table


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - optional extra
        raise ImportError("plots need matplotlib: pip install 'inwise-pandas[plot]'") from exc
    return plt


def plot_frame(frame: pd.DataFrame, kind: str = "quality", mapping: Any = None, *, ax=None, top: int = 10,
               freq: str = "D", **options: Any):
    """Draw one chart and return its matplotlib Axes.

    Kinds: ``quality`` (ok/invalid/missing bars for email and mobile, plus duplicates),
    ``timeline`` (contacts created and updated per ``freq`` period, from ``read_recent`` dates),
    ``confirmation`` (confirmation statuses) and ``domains`` (top email domains).
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    if kind == "quality":
        profile = profile_frame(frame, mapping, **options)
        data = pd.DataFrame({name: profile.loc[name, "count"] for name in ("email", "mobile")}).T
        data = data.reindex(columns=["ok", "invalid", "missing"]).fillna(0)
        data.plot.barh(stacked=True, ax=ax, color=["#2a9d8f", "#e76f51", "#bdbdbd"])
        ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.22), frameon=False)
        duplicates = int(profile.loc[("duplicates", "rows of a person already in the list"), "count"])
        ax.set_title(f"Data quality · {len(frame)} rows · {duplicates} duplicate rows")
        ax.set_xlabel("rows")
    elif kind == "timeline":
        columns = [c for c in _DATE_COLUMNS if c in frame]
        if not columns:
            raise ValueError(f"a timeline needs one of {_DATE_COLUMNS}; read contacts with inwise.read_recent()")
        series = {c.replace("_date", "").replace("_at", ""): pd.to_datetime(frame[c], errors="coerce", utc=True)
                  .dt.tz_localize(None).dt.to_period(freq).value_counts().sort_index() for c in columns}
        pd.DataFrame(series).fillna(0).plot(ax=ax, marker="o")
        ax.set_title("Contacts created and updated")
        ax.set_ylabel("contacts")
    elif kind == "confirmation":
        if "confirmation_status" not in frame:
            raise ValueError("no confirmation_status column")
        frame["confirmation_status"].fillna("(none)").value_counts().plot.bar(ax=ax, color="#264653")
        ax.set_title("Confirmation status")
        ax.set_ylabel("contacts")
    elif kind == "domains":
        profile = profile_frame(frame, mapping, top=top, **options)
        if "email domains" not in profile.index.get_level_values(0):
            raise ValueError("no valid emails to count domains from")
        profile.loc["email domains", "count"].sort_values().plot.barh(ax=ax, color="#e9c46a")
        ax.set_title(f"Top {top} email domains")
        ax.set_xlabel("contacts")
    else:
        raise ValueError(f"kind must be 'quality', 'timeline', 'confirmation' or 'domains', got {kind!r}")
    ax.figure.tight_layout()
    return ax
