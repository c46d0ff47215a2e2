"""Durable push checkpoints: one JSON line per finished request, appended and fsynced."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

__all__ = ["Checkpoint", "unit_key", "delivered_hashes"]


def unit_key(body: dict) -> str:
    """A stable key for one request body: the same rows and options give the same key."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read_lines(path: Path) -> list[dict]:
    records = []
    if not path.exists():
        return records
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                # A line cut short by a crash mid-write: that request counts as not done.
                break
    return records


class Checkpoint:
    """Append-only log of finished requests for ``push(checkpoint=path)``."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._done: dict[str, dict] = {}
        for record in _read_lines(self.path):
            if "key" in record:
                self._done[record["key"]] = record["outcome"]
        self._truncate_partial_line()
        self._handle = self.path.open("a", encoding="utf-8")

    def _truncate_partial_line(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)

    def get(self, key: str) -> dict | None:
        return self._done.get(key)

    def record(self, key: str, outcome: dict, hashes: list[str]) -> None:
        line = json.dumps({"key": key, "outcome": _plain(outcome), "hashes": hashes}, ensure_ascii=False) + "\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._done[key] = outcome

    def close(self) -> None:
        with self._lock:
            self._handle.close()


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def delivered_hashes(since: Any) -> set[int]:
    """Row-content hashes already delivered by a PushResult or recorded in a checkpoint file."""
    from .result import DELIVERED, PushResult

    if isinstance(since, PushResult):
        delivered = since.rows["status"].isin(DELIVERED).to_numpy()
        return set(int(h) for h in since.row_hashes[delivered])
    path = Path(since)
    if not path.exists():
        raise FileNotFoundError(f"since={str(since)!r}: no such checkpoint file")
    return {int(h, 16) for record in _read_lines(path) for h in record.get("hashes", [])}
