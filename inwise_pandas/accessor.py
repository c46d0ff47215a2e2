"""``df.inwise``: thin delegation to the modules that do the work."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .options import SendOptions
from .payloads import batch_bodies, upsert_bodies
from .plan import AUTO_BATCH_THRESHOLD, plan, resolve_mapping
from .push import push_frame
from .result import PushResult

__all__ = ["InwiseAccessor"]


@pd.api.extensions.register_dataframe_accessor("inwise")
class InwiseAccessor:
    """inwise operations on a DataFrame of contacts.

    Example:
        >>> import inwise_pandas as inwise
        >>> df = pd.DataFrame({"Email": ["dana@example.com"], "First": ["Dana"]})
        >>> df.inwise.to_upserts({"Email": "email", "First": 1})
        [{'email': 'dana@example.com', 'fields': [{'name': 'field1', 'content': 'Dana'}]}]
    """

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame

    def _send_rows(self, mapping: Any, options: dict) -> tuple[pd.DataFrame, SendOptions]:
        strict = options.pop("strict", False)
        send_options = SendOptions.from_kwargs(**options)
        the_plan = plan(self._frame, resolve_mapping(self._frame, mapping), send_options, strict=strict)
        return the_plan.send_rows, send_options

    def to_upserts(self, mapping: Any = None, **options: Any) -> list[dict]:
        """The exact ``POST /contacts`` bodies, one per person that would be sent (no network).

        Invalid rows and in-frame conflicts are left out, and duplicates merged, exactly as
        :meth:`push` would; use :meth:`validate` to see why.
        """
        send_rows, send_options = self._send_rows(mapping, options)
        return upsert_bodies(send_rows, send_options)

    def to_batch(self, mapping: Any = None, **options: Any) -> list[dict]:
        """The exact ``POST /contacts/batchInsert`` bodies, one per chunk (no network)."""
        send_rows, send_options = self._send_rows(mapping, options)
        return [body for _, body in batch_bodies(send_rows, send_options)]

    def push(
        self,
        mapping: Any = None,
        *,
        client=None,
        mode: str = "auto",
        progress: bool = True,
        workers: int = 16,
        auto_threshold: int = AUTO_BATCH_THRESHOLD,
        checkpoint=None,
        since=None,
        verify: bool = False,
        strict: bool = False,
        **options: Any,
    ) -> PushResult:
        """Send the frame's contacts to inwise; return one result row per input row.

        Args:
            mapping: a :class:`FieldMapping` or a ``{column: target}`` dict; None uses
                :meth:`FieldMapping.suggest` and warns which mapping it chose.
            client: an :class:`inwise_pandas.Client`; defaults to one built from the environment.
            mode: ``"upsert"`` (one ``POST /contacts`` per person, over ``workers`` keep-alive
                connections), ``"batch"`` (``POST /contacts/batchInsert`` in chunks) or ``"auto"``
                (upserts up to ``auto_threshold`` people, batches above).
            progress: show a tqdm progress bar.
            checkpoint: a file recording each finished request; rerunning with it skips what is done.
            since: a previous :class:`PushResult` or checkpoint file; rows whose mapped content was
                delivered then are ``unchanged`` and not sent.
            verify: read the account back afterwards and keep the differences in ``result.verification``.
            strict: also check emails with email-validator and mobiles with phonenumbers.
            **options: ``group_id``, ``country_code``, ``trim_leading_zero``,
                ``update_existing_contacts``, ``add_to_groups_ids``, ``remove_from_groups_ids``,
                ``remove_from_all_other_groups``, ``clear_existing_fields``, ``confirmation_status``,
                ``date_format``, ``duplicates`` (merge/flag/keep), ``keep`` (first/last/most_complete),
                ``chunk_size``, ``max_body_bytes``.

        Example:
            >>> result = df.inwise.push({"Email": "email", "Mobile": "mobile"}, client=client,
            ...                         group_id="715983", country_code="972")  # doctest: +SKIP
            >>> result.summary                                                  # doctest: +SKIP
        """
        return push_frame(self._frame, mapping, client=client, mode=mode, progress=progress, workers=workers,
                          auto_threshold=auto_threshold, checkpoint=checkpoint, since=since, verify=verify,
                          strict=strict, **options)

    def validate(self, mapping: Any = None, **options: Any) -> pd.DataFrame:
        """One row per input row: normalised values, statuses, reasons, duplicates, ``will_send``."""
        from .validate import validate_frame

        return validate_frame(self._frame, resolve_mapping(self._frame, mapping), **options)

    def clean(self, mapping: Any = None, **options: Any) -> pd.DataFrame:
        """A cleaned copy (same rules the server applies); ``.attrs['inwise_changes']`` counts each rule."""
        from .validate import clean_frame

        return clean_frame(self._frame, resolve_mapping(self._frame, mapping), **options)

    def dedupe(self, mapping: Any = None, *, keep: str = "first") -> pd.DataFrame:
        """One row per person, rows joined by email or mobile, gaps filled from the others."""
        from .validate import dedupe_frame

        return dedupe_frame(self._frame, resolve_mapping(self._frame, mapping), keep=keep)

    def profile(self, mapping: Any = None, **options: Any) -> pd.DataFrame:
        """A one-table summary of the list: validity, duplicates, domains, countries, statuses."""
        from .analytics import profile_frame

        return profile_frame(self._frame, mapping, **options)

    def plot(self, kind: str = "quality", mapping: Any = None, **kwargs: Any):
        """Plots: ``quality``, ``timeline``, ``confirmation`` or ``domains``; returns the matplotlib Axes."""
        from .analytics import plot_frame

        return plot_frame(self._frame, kind, mapping, **kwargs)

    def mapper(self, client=None, **push_options: Any):
        """An ipywidgets mapper: pick a field per column, check, preview, push."""
        from .widgets import Mapper

        return Mapper(self._frame, client=client, **push_options)
