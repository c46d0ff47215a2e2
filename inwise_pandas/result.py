"""PushResult: one row per input row, statuses that always add up."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["PushResult", "STATUSES", "DELIVERED"]

#: Every status a row can end in, in display order.
STATUSES = ("created", "updated", "submitted", "unchanged", "invalid", "conflict", "failed")
DELIVERED = ("created", "updated", "submitted", "unchanged")
@dataclass
class PushResult:
    """The outcome of a push.

    Attributes:
        rows: one row per input row, same index: ``status``, ``contact_id``, ``error``,
            ``http_status``, ``email_contact_id``/``mobile_contact_id`` (for conflicts),
            ``merged_into`` (the row this duplicate was merged into) and ``retries``.
        frame: the input frame, for :attr:`failed`.
        mode: ``"upsert"`` or ``"batch"``.
        requests: requests answered or given up on.
        retries: retries spent over the whole push.
        row_hashes: a hash of each row's mapped content, for ``push(since=...)``.
    """

    rows: pd.DataFrame
    frame: pd.DataFrame = field(repr=False)
    mode: str = "upsert"
    requests: int = 0
    retries: int = 0
    elapsed: float = 0.0
    hashes: pd.Series | None = field(default=None, repr=False)
    mapping: Any = None
    failed_frame: pd.DataFrame | None = field(default=None, repr=False)
    options: dict = field(default_factory=dict, repr=False)
    verification: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def row_hashes(self) -> pd.Series:
        """A hash of each row's mapped content (what ``push(since=result)`` compares), computed on first use."""
        if self.hashes is None:
            from .options import SendOptions
            from .plan import plan

            options = {k: v for k, v in self.options.items()}
            self.hashes = plan(self.frame, self.mapping, SendOptions.from_kwargs(**options)).hashes.set_axis(
                self.frame.index)
        return self.hashes

    @property
    def summary(self) -> pd.Series:
        """Rows per status (every status listed); adds up to the number of input rows."""
        counts = self.rows["status"].astype("string").value_counts()
        return pd.Series([int(counts.get(s, 0)) for s in STATUSES], index=list(STATUSES), name="rows", dtype="int64")

    @property
    def ok(self) -> bool:
        return bool(self.rows["status"].isin(DELIVERED).all())

    @property
    def failed(self) -> pd.DataFrame:
        """The input rows (original columns) that did not go through, ready to fix and push again."""
        if self.failed_frame is not None:
            return self.failed_frame
        return self.frame[~self.rows["status"].isin(DELIVERED).to_numpy()]

    def errors(self) -> pd.DataFrame:
        """Why each undelivered row failed, beside its original values."""
        bad = ~self.rows["status"].isin(DELIVERED).to_numpy()
        failed = self.failed.reset_index(drop=True)
        return pd.concat([self.rows.loc[bad, ["status", "error"]].reset_index(drop=True), failed],
                         axis=1).set_index(self.rows.index[bad])

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.summary.items() if v)
        return (f"PushResult(mode={self.mode!r}, rows={len(self.rows)}, {counts or 'no rows'}, "
                f"requests={self.requests}, retries={self.retries})")

    def _repr_html_(self) -> str:
        summary = self.summary
        cells = "".join(
            f"<tr><td>{html.escape(k)}</td><td style='text-align:right'>{v}</td></tr>" for k, v in summary.items() if v
        )
        failed = self.errors().head(10)
        failed_html = (
            f"<p><b>Not delivered</b> (first {len(failed)} of {int((~self.rows['status'].isin(DELIVERED)).sum())}):</p>"
            + failed.to_html(max_cols=8, na_rep="")
            if len(failed)
            else "<p>Every row was delivered.</p>"
        )
        return (
            "<div class='inwise-push-result'>"
            f"<p><b>inwise push</b> · {html.escape(self.mode)} · {len(self.rows)} rows · {self.requests} requests · "
            f"{self.retries} retries · {self.elapsed:.1f}s</p>"
            f"<table><tr><th>status</th><th>rows</th></tr>{cells}</table>{failed_html}</div>"
        )

    def verify(self, client=None) -> pd.DataFrame:
        """Read back what the account holds for the delivered rows; return the differences.

        Restarts the account's ``recently_updated`` cursor. See :func:`inwise_pandas.verify.verify_push`.
        """
        from .verify import verify_push

        return verify_push(self, client=client)
