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
from .prepare import content_columns, duplicates_by_keys, find_duplicates, prepare

__all__ = ["Plan", "plan", "choose_mode", "resolve_mapping", "AUTO_BATCH_THRESHOLD"]

#: ``mode="auto"`` sends upserts up to this many contacts and batches above it.
AUTO_BATCH_THRESHOLD = 1000
BLOCK = 20_000


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
        send_positions: the position of the first row of each person to send.
        merged: merged values of the people who have more than one row, by that position.
        columns: the request content columns.
        groups: for every row, the position of the row that represents it.
        status: ``"invalid"`` / ``"conflict"`` for rows refused before sending, else ``""``.
        error: the reason for refused rows.
    """

    prepared: pd.DataFrame
    duplicates: pd.DataFrame
    send_positions: np.ndarray
    merged: pd.DataFrame
    columns: list[str]
    groups: np.ndarray
    status: np.ndarray
    error: np.ndarray
    source: tuple | None = None  # (frame, mapping, options, keep) when content is prepared a block at a time

    def _members(self, representatives: np.ndarray) -> np.ndarray:
        """Positions of every row sent as part of these representatives' people, sorted."""
        to_send = np.flatnonzero(self.status == "")
        order = to_send[np.argsort(self.groups[to_send], kind="stable")]
        keys = self.groups[order]
        starts = np.searchsorted(keys, representatives, "left")
        ends = np.searchsorted(keys, representatives, "right")
        many = ends - starts > 1
        parts = [representatives[~many]] + [order[a:b] for a, b in zip(starts[many], ends[many])]
        return np.sort(np.concatenate(parts))

    def _content(self, positions: np.ndarray) -> pd.DataFrame:
        """Prepared content of these row positions (a slice of the frame, prepared on demand)."""
        if self.source is None:
            return self.prepared[self.columns].iloc[positions]
        frame, mapping, options, _ = self.source
        block = prepare(frame.iloc[positions], mapping, options)[self.columns]
        block.index = positions
        return block

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """Request content for these representative positions (merged values for merged people)."""
        if self.source is not None:
            needed = self._members(positions)
            content = self._content(needed)
            rows = content.loc[positions]
            keep = self.source[3]
            if keep is not None and len(needed) > len(positions):
                merged = _merge(content.reset_index(drop=True), self.columns, np.ones(len(needed), dtype=bool),
                                self.groups[needed], keep)
                rows = rows.copy()
                rows.loc[merged.index] = merged[self.columns].to_numpy()
            return rows
        rows = self.prepared[self.columns].iloc[positions]
        if len(self.merged):
            hit = self.merged.index.intersection(rows.index)
            if len(hit):
                rows = rows.copy()
                rows.loc[hit] = self.merged.loc[hit, self.columns].to_numpy()
        return rows

    @property
    def send_rows(self) -> pd.DataFrame:
        """One row per person to send, indexed by the position of the person's first row."""
        return self.rows(self.send_positions)

    @functools.cached_property
    def hashes(self) -> pd.Series:
        """A hash of each row's mapped content (for ``since=`` and checkpoints); computed on first use."""
        if self.source is None:
            return pd.util.hash_pandas_object(self.prepared[self.columns], index=False)
        n = len(self.groups)
        parts = [pd.util.hash_pandas_object(self._content(np.arange(a, min(a + BLOCK, n))), index=False)
                 for a in range(0, n, BLOCK)]
        return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="uint64")

    def member_count(self) -> np.ndarray:
        """Rows each representative stands for (0 for rows that represent nobody)."""
        to_send = self.status == ""
        return np.bincount(self.groups[to_send], minlength=len(self.groups))

    def members_of(self, representatives: np.ndarray) -> np.ndarray:
        """Every row position represented by these representative positions."""
        wanted = np.zeros(len(self.groups), dtype=bool)
        wanted[representatives] = True
        return np.flatnonzero(wanted[self.groups] & (self.status == ""))


def _merge(prepared: pd.DataFrame, columns: list[str], to_send: np.ndarray, groups: np.ndarray,
           keep: str) -> pd.DataFrame:
    """Merged values of people with two or more rows (only those rows pay for a groupby)."""
    sending = np.flatnonzero(to_send)
    sizes = np.bincount(groups[sending], minlength=len(groups))
    shared = sending[sizes[groups[sending]] > 1]
    if not len(shared):
        return pd.DataFrame(columns=columns, index=pd.Index([], dtype="int64"))
    many = prepared[columns].iloc[shared]
    many_groups = groups[shared]
    if keep == "most_complete":
        order = np.argsort(-many.notna().sum(axis=1).to_numpy(), kind="stable")
        merged = many.iloc[order].groupby(many_groups[order], sort=True).first()
    else:
        grouped = many.groupby(many_groups, sort=True)
        merged = grouped.last() if keep == "last" else grouped.first()
    merged.index = merged.index.astype("int64")
    return merged


def _identity_checks(frame: pd.DataFrame, mapping: FieldMapping, options: SendOptions, strict: bool):
    """Validity and duplicate keys of every row, a block at a time, kept as compact arrays.

    Emails and mobiles are kept as 64-bit hashes of their normalised text (a collision among a
    billion distinct values is about one in ten thousand).
    """
    identity = FieldMapping({c: t for c, t in mapping.items() if t in ("email", "mobile", "id")})
    n = len(frame)
    sendable = np.zeros(n, dtype=bool)
    email_ok = np.zeros(n, dtype=bool)
    mobile_ok = np.zeros(n, dtype=bool)
    email_keys = np.zeros(n, dtype="uint64")
    mobile_keys = np.zeros(n, dtype="uint64")
    error = np.full(n, None, dtype=object)
    for start in range(0, n, BLOCK):
        stop = min(start + BLOCK, n)
        part = prepare(frame.iloc[start:stop], identity, options, strict=strict)
        sendable[start:stop] = part["sendable"].to_numpy()
        bad = part["error"].notna().to_numpy()
        error[start:stop][bad] = part["error"][bad].to_numpy(dtype=object)
        email_ok[start:stop] = (part["email_status"] == "ok").to_numpy()
        mobile_ok[start:stop] = (part["mobile_status"] == "ok").to_numpy()
        email_keys[start:stop] = pd.util.hash_pandas_object(part["email"], index=False).to_numpy()
        mobile_keys[start:stop] = pd.util.hash_pandas_object(part["mobile_final"], index=False).to_numpy()
    dup = duplicates_by_keys(email_keys, email_ok, mobile_keys, mobile_ok, sendable)
    return sendable, error, dup


def plan(frame: pd.DataFrame, mapping: FieldMapping, options: SendOptions, *, strict: bool = False,
         lean: bool = False) -> Plan:
    """Validate the frame and decide which rows are sent, merged or refused (no network).

    ``lean=True`` checks the identity columns a block at a time into compact arrays, and prepares the
    request content a block at a time when it is asked for, so memory stays near the frame's size.
    """
    if lean:
        mapping.check(frame)
        sendable, error, dup = _identity_checks(frame, mapping, options, strict)
        prepared = None
    else:
        prepared = prepare(frame, mapping, options, strict=strict)
        sendable = prepared["sendable"].to_numpy()
        error = prepared["error"].to_numpy(dtype=object, na_value=None).copy()
        dup = find_duplicates(prepared)
    n = len(frame)
    status = np.where(sendable, "", "invalid").astype(object)
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
    send_positions = np.unique(groups[to_send])
    if lean:
        columns = content_columns(prepare(frame.iloc[:0], mapping, options))
        keep = options.keep if options.duplicates == "merge" else None
        return Plan(pd.DataFrame(index=pd.RangeIndex(n)), dup[["group", "duplicate_of"]], send_positions,
                    pd.DataFrame(columns=columns), columns, groups, status, error,
                    source=(frame, mapping, options, keep))
    columns = content_columns(prepared)
    merged = _merge(prepared, columns, to_send, groups, options.keep) if options.duplicates == "merge" else \
        pd.DataFrame(columns=columns, index=pd.Index([], dtype="int64"))
    return Plan(prepared, dup, send_positions, merged, columns, groups, status, error)


def choose_mode(mode: str, the_plan: Plan, options: SendOptions, threshold: int) -> str:
    """``"upsert"`` or ``"batch"``: what ``mode="auto"`` means for these rows and options."""
    if mode not in ("auto", "upsert", "batch"):
        raise ValueError(f"mode must be 'auto', 'upsert' or 'batch', got {mode!r}")
    columns = the_plan.columns
    batch_blockers = [c for c in ("id", "external_id", "confirmation_status") if c in columns] + options.upsert_only
    if mode == "batch":
        check_batchable(columns, options)
        return "batch"
    if mode == "upsert":
        if options.update_existing_contacts is False:
            raise ValueError("update_existing_contacts=False applies to batches only; an upsert always updates")
        return "upsert"
    if batch_blockers or len(the_plan.send_positions) <= threshold:
        return "upsert"
    return "batch"
