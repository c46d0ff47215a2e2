"""Orchestration: validate → build → send (pool) → PushResult aligned to the index."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .checkpoint import Checkpoint, delivered_hashes, unit_key
from .client import Client
from .errors import ApiError, ConflictError, InwiseError, TransportError, error_message, parse_conflict_ids
from .mapping import FieldMapping
from .options import SendOptions
from .payloads import batch_bodies, check_batchable, upsert_bodies
from .prepare import content_columns, find_duplicates, prepare
from .progress import progress_bar
from .result import PushResult, empty_rows

__all__ = ["push_frame", "plan", "AUTO_BATCH_THRESHOLD", "resolve_mapping"]

#: ``mode="auto"`` sends upserts up to this many contacts and batches above it.
AUTO_BATCH_THRESHOLD = 1000


@dataclass
class Outcome:
    """What happened to one unit (an upsert or a batch chunk), per row position."""

    positions: np.ndarray
    status: list[str]
    contact_id: list[Any]
    error: list[Any]
    http_status: int | None = None
    email_contact_id: int | None = None
    mobile_contact_id: int | None = None
    retries: int = 0

    def to_record(self) -> dict:
        return {"positions": self.positions.tolist(), "status": self.status, "contact_id": self.contact_id,
                "error": self.error, "http_status": self.http_status, "email_contact_id": self.email_contact_id,
                "mobile_contact_id": self.mobile_contact_id, "retries": self.retries}

    @classmethod
    def from_record(cls, record: dict, positions: np.ndarray) -> Outcome:
        """A recorded outcome, applied to this run's positions for the same body."""
        return cls(positions, record["status"], record["contact_id"],
                   record["error"], record.get("http_status"), record.get("email_contact_id"),
                   record.get("mobile_contact_id"), 0)


def resolve_mapping(frame: pd.DataFrame, mapping: Any) -> FieldMapping:
    if mapping is None:
        mapping = FieldMapping.suggest(frame)
        warnings.warn(f"no mapping given; using the suggested mapping {mapping.to_dict()!r}", UserWarning, stacklevel=4)
    elif not isinstance(mapping, FieldMapping):
        mapping = FieldMapping(mapping)
    return mapping


@dataclass
class Plan:
    """Everything decided before the first request."""

    prepared: pd.DataFrame
    duplicates: pd.DataFrame
    send_rows: pd.DataFrame  # one row per unit to send (merged duplicates), indexed by position
    members: dict[int, np.ndarray]  # representative position → all positions it stands for
    status: np.ndarray  # pre-send status per position (invalid / conflict) or ""
    error: np.ndarray
    hashes: pd.Series


def _row_hashes(prepared: pd.DataFrame) -> pd.Series:
    return pd.util.hash_pandas_object(prepared[content_columns(prepared)], index=False)


def plan(frame: pd.DataFrame, mapping: FieldMapping, options: SendOptions, *, strict: bool = False) -> Plan:
    """Validate the frame and decide which rows are sent, merged or refused (no network)."""
    prepared = prepare(frame, mapping, options, strict=strict)
    n = len(prepared)
    status = np.full(n, "", dtype=object)
    error = prepared["error"].astype(object).where(prepared["error"].notna(), None).to_numpy().copy()
    status[prepared["sendable"].to_numpy() == False] = "invalid"  # noqa: E712
    dup = find_duplicates(prepared)
    labels = frame.index
    if options.duplicates != "keep":
        for pos in np.flatnonzero(dup["conflict"].to_numpy()):
            a, b = dup["conflict_with"].iat[pos]
            status[pos] = "conflict"
            error[pos] = (f"in-frame conflict: the email is also in row {labels[a]!r} and the mobile in row "
                          f"{labels[b]!r}, which are different people; inwise would answer 422")
    sendable = status == ""
    columns = content_columns(prepared)
    groups = dup["group"].to_numpy()
    if options.duplicates == "merge":
        send = prepared.loc[sendable, columns]
        grouped = send.groupby(groups[sendable], sort=True)
        if options.keep == "most_complete":
            order = send.notna().sum(axis=1).sort_values(ascending=False, kind="stable").index
            merged = send.loc[order].groupby(groups[order], sort=True).first()
        else:
            merged = grouped.last() if options.keep == "last" else grouped.first()
        merged.index = merged.index.astype("int64")
        member_series = pd.Series(np.flatnonzero(sendable)).groupby(groups[sendable]).agg(lambda s: s.to_numpy())
        members = {int(k): v for k, v in member_series.items()}
        send_rows = merged[columns]
    else:
        if options.duplicates == "flag":
            flagged = sendable & ~np.isnan(dup["duplicate_of"].to_numpy())
            for pos in np.flatnonzero(flagged):
                status[pos] = "invalid"
                error[pos] = f"duplicate of row {labels[int(dup['duplicate_of'].iat[pos])]!r} (same email or mobile)"
            sendable = status == ""
        send_rows = prepared.loc[sendable, columns]
        members = {int(p): np.array([p]) for p in np.flatnonzero(sendable)}
    return Plan(prepared, dup, send_rows, members, status, error, _row_hashes(prepared))


def choose_mode(mode: str, send_rows: pd.DataFrame, options: SendOptions, threshold: int) -> str:
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


def parse_upsert_reply(body: Any) -> tuple[Any, str]:
    """Contact id and created/updated from an upsert answer of any plausible shape."""
    status = "created"
    if isinstance(body, dict):
        inner = body.get("contact") or body.get("data") or body.get("result")
        if isinstance(inner, dict):
            contact_id, inner_status = parse_upsert_reply(inner)
            if "status" not in body and "created" not in body:
                return contact_id, inner_status
            body = {**inner, **{k: v for k, v in body.items() if k in ("status", "created")}}
        contact_id = next((body[k] for k in ("id", "contact_id", "contactId", "ContactId", "Id") if k in body), None)
        flag = body.get("status", body.get("action"))
        if isinstance(flag, str) and flag.lower() in ("updated", "update"):
            status = "updated"
        elif body.get("created") is False:
            status = "updated"
        return _as_int(contact_id), status
    return _as_int(body), status


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _send_upsert(client: Client, positions: np.ndarray, body: dict) -> Outcome:
    n = len(positions)
    try:
        reply = client.send("POST", "contacts", body=body)
    except ConflictError as exc:
        return Outcome(positions, ["conflict"] * n, [None] * n, [str(exc)] * n, exc.status,
                       exc.email_contact_id, exc.mobile_contact_id, exc.retries)
    except ApiError as exc:
        return Outcome(positions, ["failed"] * n, [None] * n, [str(exc)] * n, exc.status, retries=exc.retries)
    except TransportError as exc:
        return Outcome(positions, ["failed"] * n, [None] * n, [str(exc)] * n, retries=client.max_retries)
    contact_id, status = parse_upsert_reply(reply.body)
    statuses = [status] + ["updated"] * (n - 1) if status == "created" else [status] * n
    return Outcome(positions, statuses, [contact_id] * n, [None] * n, reply.status, retries=reply.retries)


def parse_batch_reply(body: Any, rows_in_chunk: int) -> dict[int, str]:
    """Row number (0-based within the chunk) → error text for the rows the import refused."""
    errors: dict[int, str] = {}
    items = body.get("errors") or body.get("failed_rows") or [] if isinstance(body, dict) else []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        row = _as_int(item.get("row", item.get("line", item.get("row_number"))))
        if row is not None and 1 <= row <= rows_in_chunk:
            errors[row - 1] = error_message(item) or "refused by the import"
    return errors


def _send_batch(client: Client, positions: np.ndarray, body: dict) -> Outcome:
    n = len(positions)
    try:
        reply = client.send("POST", "contacts/batchInsert", body=body)
    except ApiError as exc:
        return Outcome(positions, ["failed"] * n, [None] * n, [str(exc)] * n, exc.status, retries=exc.retries)
    except TransportError as exc:
        return Outcome(positions, ["failed"] * n, [None] * n, [str(exc)] * n, retries=client.max_retries)
    statuses, errors = ["submitted"] * n, [None] * n
    for row, text in parse_batch_reply(reply.body, n).items():
        statuses[row] = "conflict" if parse_conflict_ids(text)[0] else "failed"
        errors[row] = f"batchInsert row {row + 1}: {text}"
    return Outcome(positions, statuses, [None] * n, errors, reply.status, retries=reply.retries)


def _units(mode: str, send_rows: pd.DataFrame, options: SendOptions) -> Iterator[tuple[np.ndarray, dict]]:
    if mode == "upsert":
        positions = send_rows.index.to_numpy()
        for pos, body in zip(positions, upsert_bodies(send_rows, options)):
            yield np.array([pos]), body
    else:
        positions = send_rows.index.to_numpy()
        for chunk, body in batch_bodies(send_rows, options):
            yield positions[chunk], body


def send_units(client: Client, mode: str, units: Iterable[tuple[np.ndarray, dict]], *, workers: int) -> Iterator[Outcome]:
    """Send units over a pool of keep-alive connections; yield outcomes as they finish."""
    send = _send_upsert if mode == "upsert" else _send_batch
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="inwise-push") as pool:
        pending = set()
        for positions, body in units:
            pending.add(pool.submit(send, client, positions, body))
            if len(pending) >= workers * 4:
                done = next(as_completed(pending))
                pending.remove(done)
                yield done.result()
        for future in as_completed(pending):
            yield future.result()


def push_frame(
    frame: pd.DataFrame,
    mapping: Any = None,
    *,
    client: Client | None = None,
    mode: str = "auto",
    progress: bool = True,
    workers: int = 16,
    auto_threshold: int = AUTO_BATCH_THRESHOLD,
    checkpoint: str | None = None,
    since: Any = None,
    verify: bool = False,
    strict: bool = False,
    **options: Any,
) -> PushResult:
    """See :meth:`InwiseAccessor.push`."""
    started = time.perf_counter()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"push needs a DataFrame, got {type(frame).__name__}")
    mapping = resolve_mapping(frame, mapping)
    send_options = SendOptions.from_kwargs(**options)
    the_plan = plan(frame, mapping, send_options, strict=strict)
    mode = choose_mode(mode, the_plan.send_rows, send_options, auto_threshold)
    if client is None:
        client = Client()
    rows = empty_rows(frame.index)
    status = the_plan.status.copy()
    error = the_plan.error.copy()
    contact_id = np.full(len(frame), None, dtype=object)
    http_status = np.full(len(frame), None, dtype=object)
    email_cid = np.full(len(frame), None, dtype=object)
    mobile_cid = np.full(len(frame), None, dtype=object)
    retries = np.zeros(len(frame), dtype="int64")

    send_rows = the_plan.send_rows
    if since is not None:
        done_hashes = delivered_hashes(since)
        unchanged = the_plan.hashes.iloc[send_rows.index].isin(done_hashes).to_numpy()
        for rep in send_rows.index[unchanged]:
            status[the_plan.members[int(rep)]] = "unchanged"
        send_rows = send_rows[~unchanged]

    journal = Checkpoint(checkpoint, mode=mode) if checkpoint else None
    requests_made = 0
    total_retries = 0

    def apply(outcome: Outcome) -> None:
        for pos, st, cid, err in zip(outcome.positions, outcome.status, outcome.contact_id, outcome.error):
            members = the_plan.members[int(pos)]
            status[members] = st if len(members) == 1 else [st] + ["updated" if st == "created" else st] * (len(members) - 1)
            contact_id[members] = cid
            error[members] = err
            http_status[members] = outcome.http_status
            email_cid[members] = outcome.email_contact_id
            mobile_cid[members] = outcome.mobile_contact_id
        retries[outcome.positions] += outcome.retries

    units = _units(mode, send_rows, send_options) if len(send_rows) else iter(())
    to_send = []
    for positions, body in units:
        key = unit_key(body)
        recorded = journal.get(key) if journal else None
        if recorded is not None:
            apply(Outcome.from_record(recorded, positions))
        else:
            to_send.append((positions, body, key))
    total_rows = int(sum(len(the_plan.members[int(p)]) for ps, _, _ in to_send for p in ps))
    bar = progress_bar(progress, total=total_rows, desc=f"inwise {mode}", unit="row")
    key_by_first = {int(positions[0]): key for positions, _, key in to_send}
    try:
        for outcome in send_units(client, mode, ((p, b) for p, b, _ in to_send), workers=workers if mode == "upsert" else min(workers, 4)):
            apply(outcome)
            requests_made += 1
            total_retries += outcome.retries
            if journal and all(s != "failed" for s in outcome.status):
                journal.record(key_by_first[int(outcome.positions[0])], outcome.to_record(),
                               _delivered_row_hashes(outcome, the_plan))
            bar.update(int(sum(len(the_plan.members[int(p)]) for p in outcome.positions)))
    finally:
        bar.close()
        if journal:
            journal.close()

    rows["status"] = pd.array(status, dtype="string")
    rows["error"] = pd.array([None if e is None else str(e) for e in error], dtype="string")
    rows["contact_id"] = pd.array(contact_id, dtype="Int64")
    rows["http_status"] = pd.array(http_status, dtype="Int64")
    rows["email_contact_id"] = pd.array(email_cid, dtype="Int64")
    rows["mobile_contact_id"] = pd.array(mobile_cid, dtype="Int64")
    rows["retries"] = pd.array(retries, dtype="Int64")
    groups = the_plan.duplicates["group"].to_numpy()
    merged = (groups != np.arange(len(frame))) & (status != "conflict")
    if send_options.duplicates == "merge":
        rows["merged_into"] = pd.Series([frame.index[g] if m else None for g, m in zip(groups, merged)],
                                        index=frame.index, dtype=object)
    if (status == "").any():  # pragma: no cover - an accounting bug must never pass silently
        raise InwiseError(f"internal error: {int((status == '').sum())} rows have no outcome")
    result = PushResult(rows=rows, frame=frame, mode=mode, requests=requests_made, retries=total_retries,
                        elapsed=time.perf_counter() - started, row_hashes=the_plan.hashes.set_axis(frame.index),
                        mapping=mapping)
    if verify:
        result.verification = result.verify(client)
    return result


def _delivered_row_hashes(outcome: Outcome, the_plan: Plan) -> list[str]:
    members = np.concatenate([the_plan.members[int(p)] for p, st in zip(outcome.positions, outcome.status)
                              if st in ("created", "updated", "submitted")] or [np.array([], dtype="int64")])
    return [format(int(h), "x") for h in the_plan.hashes.iloc[members]]
