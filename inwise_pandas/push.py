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
from .result import STATUSES, PushResult

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


def build_units(mode: str, the_plan: Plan, positions: np.ndarray,
                options: SendOptions) -> Iterator[tuple[np.ndarray, dict]]:
    """(representative positions, request body) for every request, built a block at a time."""
    block = options.chunk_size if mode == "batch" else 5_000
    for start in range(0, len(positions), block):
        rows = the_plan.rows(positions[start:start + block])
        if mode == "upsert":
            for pos, body in zip(rows.index.to_numpy(), upsert_bodies(rows, options)):
                yield np.array([pos]), body
        else:
            for chunk, body in batch_bodies(rows, options):
                yield rows.index.to_numpy()[chunk], body


def send_units(client: Client, mode: str, units: Iterable[tuple[np.ndarray, dict]], *,
               workers: int) -> Iterator[Outcome]:
    """Send over a pool of keep-alive connections; yield outcomes as they finish (bounded queue)."""
    send = _send_upsert if mode == "upsert" else _send_batch
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="inwise-push") as pool:
        pending = set()
        for positions, body in units:
            pending.add(pool.submit(send, client, positions, body))
            if len(pending) >= workers * 2:
                done = next(as_completed(pending))
                pending.remove(done)
                yield done.result()
        for future in as_completed(pending):
            yield future.result()


class _Outcomes:
    """Outcomes per representative row in compact arrays (a million rows cost a few MB)."""

    def __init__(self, n: int):
        self.status = np.full(n, -1, dtype="int8")  # index into STATUSES
        self.contact_id = np.zeros(n, dtype="int64")
        self.has_contact_id = np.zeros(n, dtype=bool)
        self.http_status = np.zeros(n, dtype="int16")
        self.retries = np.zeros(n, dtype="int32")
        self.error: dict[int, str] = {}
        self.email_contact_id: dict[int, int] = {}
        self.mobile_contact_id: dict[int, int] = {}

    def set_status(self, positions, status: str) -> None:
        self.status[positions] = STATUSES.index(status)

    def apply(self, outcome: Outcome) -> None:
        p = outcome.positions
        self.status[p] = [STATUSES.index(s) for s in outcome.status]
        ids = np.array([c is not None for c in outcome.contact_id])
        if ids.any():
            self.contact_id[p[ids]] = [c for c in outcome.contact_id if c is not None]
            self.has_contact_id[p[ids]] = True
        self.http_status[p] = outcome.http_status or 0
        for pos, text in zip(p, outcome.error):
            if text is not None:
                self.error[int(pos)] = text
        if outcome.email_contact_id is not None:
            self.email_contact_id.update(dict.fromkeys(map(int, p), outcome.email_contact_id))
        if outcome.mobile_contact_id is not None:
            self.mobile_contact_id.update(dict.fromkeys(map(int, p), outcome.mobile_contact_id))
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
    the_plan = plan(frame, mapping, send_options, strict=strict, lean=True)
    mode = choose_mode(mode, the_plan, send_options, auto_threshold)
    client = client if client is not None else Client()
    n = len(frame)
    outcomes = _Outcomes(n)
    positions = the_plan.send_positions
    if since is not None:
        unchanged = the_plan.hashes.iloc[positions].isin(delivered_hashes(since)).to_numpy()
        outcomes.set_status(positions[unchanged], "unchanged")
        positions = positions[~unchanged]

    journal = Checkpoint(checkpoint) if checkpoint else None
    counts = the_plan.member_count()
    bar = progress_bar(progress, total=int(counts[positions].sum()), desc=f"inwise {mode}", unit="row")
    keys: dict[int, str] = {}

    def pending() -> Iterator[tuple[np.ndarray, dict]]:
        # Bodies are built as the pool asks for them: a million rows never sit in memory as CSV.
        for unit_positions, body in build_units(mode, the_plan, positions, send_options):
            if journal is not None:
                key = unit_key(body)
                recorded = journal.get(key)
                if recorded is not None:
                    outcomes.apply(Outcome.from_record(recorded, unit_positions))
                    bar.update(int(counts[unit_positions].sum()))
                    continue
                keys[int(unit_positions[0])] = key
            yield unit_positions, body

    requests_made = total_retries = 0
    try:
        for outcome in send_units(client, mode, pending(), workers=workers if mode == "upsert" else min(workers, 4)):
            outcomes.apply(outcome)
            requests_made += 1
            total_retries += outcome.retries
            if journal is not None and "failed" not in outcome.status:
                delivered = outcome.positions[[s != "conflict" for s in outcome.status]]
                hashes = the_plan.hashes.iloc[the_plan.members_of(delivered)]
                journal.record(keys.pop(int(outcome.positions[0])), outcome.to_record(),
                               [format(int(h), "x") for h in hashes])
            bar.update(int(counts[outcome.positions].sum()))
    finally:
        bar.close()
        if journal is not None:
            journal.close()
    rows = _result_rows(frame, the_plan, outcomes, merged=send_options.duplicates == "merge")
    result = PushResult(rows=rows, frame=frame, mode=mode, requests=requests_made, retries=total_retries,
                        elapsed=time.perf_counter() - started, mapping=mapping, options=options)
    if verify:
        result.verification = result.verify(client)
    return result


def _sparse(values: dict[int, Any], rep: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """A column that is mostly missing, from {representative position: value}."""
    out = np.full(len(rep), None, dtype=object)
    if values:
        keys = np.fromiter(values.keys(), dtype="int64", count=len(values))
        lookup = dict(values)
        hit = np.isin(rep, keys)
        out[hit] = [lookup[int(r)] for r in rep[hit]]
    return pd.array(out, dtype=dtype)


def _result_rows(frame: pd.DataFrame, the_plan: Plan, outcomes: _Outcomes, *, merged: bool) -> pd.DataFrame:
    """Broadcast each representative's outcome to the rows it stands for."""
    n = len(frame)
    positions = np.arange(n)
    refused = the_plan.status != ""
    rep = np.where(refused, positions, the_plan.groups)
    codes = outcomes.status[rep]
    codes[refused] = [STATUSES.index(s) for s in the_plan.status[refused]]
    # The first row of a merged person is the one created; the others updated that contact.
    follower = ~refused & (rep != positions)
    codes[follower & (codes == STATUSES.index("created"))] = STATUSES.index("updated")
    if (codes < 0).any():  # pragma: no cover - an accounting bug must never pass silently
        raise InwiseError(f"internal error: {int((codes < 0).sum())} rows have no outcome")
    refused_errors = {int(p): e for p, e in zip(positions[refused], the_plan.error[refused])}
    errors = {**outcomes.error, **refused_errors}
    error_rep = np.where(refused, positions, rep)
    rows = pd.DataFrame(index=frame.index)
    rows["status"] = pd.Categorical.from_codes(codes, categories=list(STATUSES))
    rows["contact_id"] = pd.arrays.IntegerArray(outcomes.contact_id[rep], ~outcomes.has_contact_id[rep])
    rows["error"] = _sparse(errors, error_rep, "string")
    http = outcomes.http_status[rep]
    rows["http_status"] = pd.arrays.IntegerArray(http.astype("int64"), http == 0)
    rows["email_contact_id"] = _sparse(outcomes.email_contact_id, rep, "Int64")
    rows["mobile_contact_id"] = _sparse(outcomes.mobile_contact_id, rep, "Int64")
    rows["retries"] = pd.arrays.IntegerArray(outcomes.retries.astype("int64"), np.zeros(n, dtype=bool))
    merged_into = np.full(n, None, dtype=object)
    if merged and follower.any():
        merged_into[follower] = frame.index.take(rep[follower])
    rows["merged_into"] = merged_into
    return rows
