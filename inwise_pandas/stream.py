"""Push a CSV file larger than memory, chunk by chunk, into one result."""

from __future__ import annotations

import os
import time
from typing import Any

import pandas as pd

from .client import Client
from .mapping import FieldMapping
from .push import push_frame
from .result import DELIVERED, PushResult

__all__ = ["push_csv"]


def push_csv(
    path: str | os.PathLike,
    mapping: Any,
    *,
    chunksize: int = 100_000,
    client: Client | None = None,
    mode: str = "batch",
    progress: bool = True,
    read_csv_options: dict | None = None,
    **push_options: Any,
) -> PushResult:
    """Stream a CSV file to inwise in chunks of ``chunksize`` rows; memory stays bounded.

    Every column is read as text, so leading zeros in mobiles survive. The result's index is the
    file's data row number (0 for the first row under the header); ``result.failed`` holds only the
    failed rows. ``checkpoint=`` works as in :meth:`push`: a rerun skips the chunks already sent.
    Duplicates are merged within a chunk; across chunks the API's upsert-by-email/mobile applies.

    Example:
        >>> result = inwise.push_csv("contacts.csv", mapping, client=client)   # doctest: +SKIP
    """
    started = time.perf_counter()
    if not isinstance(mapping, FieldMapping):
        mapping = FieldMapping(mapping)
    client = client or Client()
    options = {"dtype": "str", "keep_default_na": False, "na_values": [""], **(read_csv_options or {})}
    pieces: list[pd.DataFrame] = []
    failed: list[pd.DataFrame] = []
    hashes: list[pd.Series] = []
    requests = retries = 0
    bar = None
    if progress:
        from .progress import progress_bar

        bar = progress_bar(True, desc="inwise push_csv", unit="row")
    columns = list(pd.read_csv(path, nrows=0, **options).columns)
    with pd.read_csv(path, chunksize=chunksize, **options) as reader:
        offset = 0
        for chunk in reader:
            chunk.index = pd.RangeIndex(offset, offset + len(chunk), name="row")
            offset += len(chunk)
            part = push_frame(chunk, mapping, client=client, mode=mode, progress=False, **push_options)
            rows = part.rows[["status", "contact_id", "error", "http_status"]]
            pieces.append(rows.astype({"status": _STATUS_DTYPE, "http_status": "Int16"}))
            if push_options.get("checkpoint") is not None or push_options.get("since") is not None:
                hashes.append(part.row_hashes)
            bad = ~part.rows["status"].isin(DELIVERED).to_numpy()
            if bad.any():
                failed.append(chunk[bad])
            requests += part.requests
            retries += part.retries
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    rows = pd.concat(pieces) if pieces else pd.DataFrame(
        {"status": pd.Series([], dtype=_STATUS_DTYPE), "contact_id": pd.Series([], dtype="Int64"),
         "error": pd.Series([], dtype="string"), "http_status": pd.Series([], dtype="Int64")})
    failed_frame = pd.concat(failed) if failed else pd.DataFrame(columns=columns)
    return PushResult(rows=rows, frame=failed_frame, mode=mode, requests=requests, retries=retries,
                      elapsed=time.perf_counter() - started,
                      hashes=pd.concat(hashes) if hashes else None, mapping=mapping, failed_frame=failed_frame)


_STATUS_DTYPE = pd.CategoricalDtype(["created", "updated", "submitted", "unchanged", "invalid", "conflict", "failed"])
