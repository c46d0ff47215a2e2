"""Decide, before any request, what happens to each row: refused, merged, or sent."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .mapping import FieldMapping
from .options import SendOptions
from .payloads import check_batchable
from .prepare import content_columns, find_duplicates, prepare

__all__ = ["Plan", "plan", "choose_mode", "resolve_mapping", "AUTO_BATCH_THRESHOLD"]

#: ``mode="auto"`` sends upserts up to this many contacts and batches above it.
AUTO_BATCH_THRESHOLD = 1000


def resolve_mapping(frame: pd.DataFrame, mapping: Any) -> FieldMapping:
    """A FieldMapping from a dict, or the suggestion (with a warning saying which) for None."""
    if mapping is None:
        mapping = FieldMapping.suggest(frame)
        warnings.warn(f"no mapping given; using the suggested mapping {mapping.to_dict()!r}", UserWarning, stacklevel=4)
    elif not isinstance(mapping, FieldMapping):
        mapping = FieldMapping(mapping)
    return mapping


@dataclass
class Plan:
    """Everything decided before the first request, by row position.

    Attributes:
        prepared: the canonical frame (see :func:`prepare`).
        duplicates: ``group``, ``duplicate_of``, ``conflict`` per row.
        send_rows: one row per person to send, indexed by the position of the person's first row.
        groups: for every row, the position of the row that represents it.
        status: ``"invalid"`` / ``"conflict"`` for rows refused before sending, else ``""``.
        error: the reason for refused rows.
    """

    prepared: pd.DataFrame
    duplicates: pd.DataFrame
    send_rows: pd.DataFrame
    groups: np.ndarray
    status: np.ndarray
    error: np.ndarray

    @functools.cached_property
    def hashes(self) -> pd.Series:
        """A hash of each row's mapped content (for ``since=`` and checkpoints); computed on first use."""
        return pd.util.hash_pandas_object(self.prepared[content_columns(self.prepared)], index=False)

    def member_count(self) -> np.ndarray:
        """Rows each representative stands for (0 for rows that represent nobody)."""
        to_send = self.status == ""
        return np.bincount(self.groups[to_send], minlength=len(self.groups))

    def members_of(self, representatives: np.ndarray) -> np.ndarray:
        """Every row position represented by these representative positions."""
        wanted = np.zeros(len(self.groups), dtype=bool)
        wanted[representatives] = True
        return np.flatnonzero(wanted[self.groups] & (self.status == ""))


def _merge(send: pd.DataFrame, groups: np.ndarray, keep: str) -> pd.DataFrame:
    """Merge rows of one person; only groups of two or more rows pay for a groupby."""
    sizes = np.bincount(groups, minlength=int(groups.max()) + 1 if len(groups) else 0)
    shared = sizes[groups] > 1
    if not shared.any():
        return send
    many = send[shared]
    many_groups = groups[shared]
    if keep == "most_complete":
        order = np.argsort(-many.notna().sum(axis=1).to_numpy(), kind="stable")
        merged = many.iloc[order].groupby(many_groups[order], sort=True).first()
    else:
        grouped = many.groupby(many_groups, sort=True)
        merged = grouped.last() if keep == "last" else grouped.first()
    merged.index = merged.index.astype("int64")
    return pd.concat([send[~shared], merged]).sort_index()


def plan(frame: pd.DataFrame, mapping: FieldMapping, options: SendOptions, *, strict: bool = False) -> Plan:
    """Validate the frame and decide which rows are sent, merged or refused (no network)."""
    prepared = prepare(frame, mapping, options, strict=strict)
    n = len(prepared)
    status = np.where(prepared["sendable"].to_numpy(), "", "invalid").astype(object)
    error = prepared["error"].to_numpy(dtype=object, na_value=None).copy()
    dup = find_duplicates(prepared)
    labels = frame.index
    groups = dup["group"].to_numpy().copy()
    if options.duplicates != "keep":
        for pos in np.flatnonzero(dup["conflict"].to_numpy()):
            a, b = int(dup["conflict_email"].iat[pos]), int(dup["conflict_mobile"].iat[pos])
            status[pos] = "conflict"
            error[pos] = (f"in-frame conflict: the email is also in row {labels[a]!r} and the mobile in row "
                          f"{labels[b]!r}, which are different people; inwise would answer 422")
    if options.duplicates == "flag":
        for pos in np.flatnonzero((status == "") & ~np.isnan(dup["duplicate_of"].to_numpy())):
            status[pos] = "invalid"
            error[pos] = f"duplicate of row {labels[int(dup['duplicate_of'].iat[pos])]!r} (same email or mobile)"
    if options.duplicates != "merge":
        groups = np.arange(n)
    to_send = status == ""
    columns = content_columns(prepared)
    send = prepared.loc[to_send, columns]
    send_rows = _merge(send, groups[to_send], options.keep) if options.duplicates == "merge" else send
    return Plan(prepared, dup, send_rows, groups, status, error)


def choose_mode(mode: str, send_rows: pd.DataFrame, options: SendOptions, threshold: int) -> str:
    """``"upsert"`` or ``"batch"``: what ``mode="auto"`` means for these rows and options."""
    if mode not in ("auto", "upsert", "batch"):
        raise ValueError(f"mode must be 'auto', 'upsert' or 'batch', got {mode!r}")
    batch_blockers = [c for c in ("id", "external_id", "confirmation_status") if c in send_rows] + options.upsert_only
    if mode == "batch":
        check_batchable(list(send_rows.columns), options)
        return "batch"
    if mode == "upsert":
        if options.update_existing_contacts is False:
            raise ValueError("update_existing_contacts=False applies to batches only; an upsert always updates")
        return "upsert"
    if batch_blockers or len(send_rows) <= threshold:
        return "upsert"
    return "batch"
