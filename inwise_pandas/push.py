"""Orchestration: plan → build → send (pool) → PushResult aligned to the index."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .checkpoint import Checkpoint, delivered_hashes, unit_key
from .client import Client
from .errors import ApiError, ConflictError, InwiseError, TransportError, error_message, parse_conflict_ids
from .options import SendOptions
from .payloads import batch_bodies, upsert_bodies
from .plan import AUTO_BATCH_THRESHOLD, Plan, choose_mode, plan, resolve_mapping
from .progress import progress_bar
from .result import PushResult, empty_rows

__all__ = ["push_frame", "AUTO_BATCH_THRESHOLD", "parse_upsert_reply", "parse_batch_reply"]


@dataclass
class Outcome:
    """What happened to one request (an upsert or a batch chunk), per representative row."""

    positions: np.ndarray
    status: list[str]
    contact_id: list[Any]
    error: list[Any]
    http_status: int | None = None
    email_contact_id: int | None = None
    mobile_contact_id: int | None = None
    retries: int = 0

    def to_record(self) -> dict:
        return {"status": self.status, "contact_id": self.contact_id, "error": self.error,
                "http_status": self.http_status, "email_contact_id": self.email_contact_id,
                "mobile_contact_id": self.mobile_contact_id}

    @classmethod
    def from_record(cls, record: dict, positions: np.ndarray) -> Outcome:
        """A recorded outcome, applied to this run's positions for the same body."""
        return cls(positions, record["status"], record["contact_id"], record["error"], record.get("http_status"),
                   record.get("email_contact_id"), record.get("mobile_contact_id"), 0)


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


def _failed(positions: np.ndarray, exc: Exception, client: Client) -> Outcome:
    n = len(positions)
    if isinstance(exc, ConflictError):
        return Outcome(positions, ["conflict"] * n, [None] * n, [str(exc)] * n, exc.status,
                       exc.email_contact_id, exc.mobile_contact_id, exc.retries)
    if isinstance(exc, ApiError):
        return Outcome(positions, ["failed"] * n, [None] * n, [str(exc)] * n, exc.status, retries=exc.retries)
    return Outcome(positions, ["failed"] * n, [None] * n, [str(exc)] * n, retries=client.max_retries)


def _send_upsert(client: Client, positions: np.ndarray, body: dict) -> Outcome:
    try:
        reply = client.send("POST", "contacts", body=body)
    except (ApiError, TransportError) as exc:
        return _failed(positions, exc, client)
    contact_id, status = parse_upsert_reply(reply.body)
    return Outcome(positions, [status], [contact_id], [None], reply.status, retries=reply.retries)


def parse_batch_reply(body: Any, rows_in_chunk: int) -> dict[int, str]:
    """Row number (0-based within the chunk) → error text for the rows the import refused."""
    errors: dict[int, str] = {}
    items = (body.get("errors") or body.get("failed_rows") or []) if isinstance(body, dict) else []
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
    except (ApiError, TransportError) as exc:
        return _failed(positions, exc, client)
    statuses, errors = ["submitted"] * n, [None] * n
    for row, text in parse_batch_reply(reply.body, n).items():
        statuses[row] = "conflict" if parse_conflict_ids(text)[0] else "failed"
        errors[row] = f"batchInsert row {row + 1}: {text}"
    return Outcome(positions, statuses, [None] * n, errors, reply.status, retries=reply.retries)


def build_units(mode: str, send_rows: pd.DataFrame, options: SendOptions) -> Iterator[tuple[np.ndarray, dict]]:
    """(representative positions, request body) for every request the push will make."""
    positions = send_rows.index.to_numpy()
    if mode == "upsert":
        for pos, body in zip(positions, upsert_bodies(send_rows, options)):
            yield np.array([pos]), body
    else:
        for chunk, body in batch_bodies(send_rows, options):
            yield positions[chunk], body


def send_units(client: Client, mode: str, units: Iterable[tuple[np.ndarray, dict]], *,
               workers: int) -> Iterator[Outcome]:
    """Send over a pool of keep-alive connections; yield outcomes as they finish (bounded queue)."""
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


class _Outcomes:
    """Outcomes per representative row, broadcast to every row at the end."""

    def __init__(self, n: int):
        self.status = np.full(n, None, dtype=object)
        self.contact_id = np.full(n, None, dtype=object)
        self.error = np.full(n, None, dtype=object)
        self.http_status = np.full(n, None, dtype=object)
        self.email_contact_id = np.full(n, None, dtype=object)
        self.mobile_contact_id = np.full(n, None, dtype=object)
        self.retries = np.zeros(n, dtype="int64")

    def apply(self, outcome: Outcome) -> None:
        p = outcome.positions
        self.status[p] = outcome.status
        self.contact_id[p] = outcome.contact_id
        self.error[p] = outcome.error
        self.http_status[p] = outcome.http_status
        self.email_contact_id[p] = outcome.email_contact_id
        self.mobile_contact_id[p] = outcome.mobile_contact_id
        self.retries[p[0]] += outcome.retries


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
    client = client if client is not None else Client()
    n = len(frame)
    outcomes = _Outcomes(n)
    send_rows = the_plan.send_rows
    if since is not None:
        unchanged = the_plan.hashes.iloc[send_rows.index].isin(delivered_hashes(since)).to_numpy()
        outcomes.status[send_rows.index[unchanged]] = "unchanged"
        send_rows = send_rows[~unchanged]

    journal = Checkpoint(checkpoint) if checkpoint else None
    counts = the_plan.member_count()
    to_send = []
    for positions, body in build_units(mode, send_rows, send_options) if len(send_rows) else ():
        key = unit_key(body)
        recorded = journal.get(key) if journal is not None else None
        if recorded is not None:
            outcomes.apply(Outcome.from_record(recorded, positions))
        else:
            to_send.append((positions, body, key))
    key_by_first = {int(positions[0]): key for positions, _, key in to_send}
    bar = progress_bar(progress, total=int(sum(counts[p].sum() for p, _, _ in to_send)), desc=f"inwise {mode}",
                       unit="row")
    requests_made = total_retries = 0
    try:
        stream = send_units(client, mode, ((p, b) for p, b, _ in to_send),
                            workers=workers if mode == "upsert" else min(workers, 4))
        for outcome in stream:
            outcomes.apply(outcome)
            requests_made += 1
            total_retries += outcome.retries
            if journal is not None and "failed" not in outcome.status:
                delivered = outcome.positions[[s != "conflict" for s in outcome.status]]
                hashes = the_plan.hashes.iloc[the_plan.members_of(delivered)]
                journal.record(key_by_first[int(outcome.positions[0])], outcome.to_record(),
                               [format(int(h), "x") for h in hashes])
            bar.update(int(counts[outcome.positions].sum()))
    finally:
        bar.close()
        if journal is not None:
            journal.close()
    rows = _result_rows(frame, the_plan, outcomes, merged=send_options.duplicates == "merge")
    result = PushResult(rows=rows, frame=frame, mode=mode, requests=requests_made, retries=total_retries,
                        elapsed=time.perf_counter() - started, row_hashes=the_plan.hashes.set_axis(frame.index),
                        mapping=mapping, options=options)
    if verify:
        result.verification = result.verify(client)
    return result


def _result_rows(frame: pd.DataFrame, the_plan: Plan, outcomes: _Outcomes, *, merged: bool) -> pd.DataFrame:
    """Broadcast each representative's outcome to the rows it stands for."""
    n = len(frame)
    positions = np.arange(n)
    refused = the_plan.status != ""
    rep = np.where(refused, positions, the_plan.groups)
    status = np.where(refused, the_plan.status, outcomes.status[rep]).astype(object)
    # The first row of a merged person is the one created; the others updated that contact.
    follower = ~refused & (rep != positions)
    status[follower & (status == "created")] = "updated"
    if any(s is None for s in status):  # pragma: no cover - an accounting bug must never pass silently
        raise InwiseError(f"internal error: {int(sum(s is None for s in status))} rows have no outcome")
    error = np.where(refused, the_plan.error, outcomes.error[rep])
    rows = empty_rows(frame.index)
    rows["status"] = pd.array(status, dtype="string")
    rows["error"] = pd.array(error, dtype="string")
    rows["contact_id"] = pd.array(outcomes.contact_id[rep], dtype="Int64")
    rows["http_status"] = pd.array(outcomes.http_status[rep], dtype="Int64")
    rows["email_contact_id"] = pd.array(outcomes.email_contact_id[rep], dtype="Int64")
    rows["mobile_contact_id"] = pd.array(outcomes.mobile_contact_id[rep], dtype="Int64")
    rows["retries"] = pd.array(outcomes.retries, dtype="Int64")
    if merged and follower.any():
        merged_into = np.full(n, None, dtype=object)
        merged_into[follower] = frame.index.take(rep[follower])
        rows["merged_into"] = merged_into
    return rows
