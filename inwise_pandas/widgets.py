"""The mapper: pick an inwise field per column, see what will be sent, push — in a notebook.

The widget is thin: it builds a :class:`FieldMapping` and push options, and hands them to the same
functions the accessor uses; it never speaks HTTP itself.
"""

from __future__ import annotations

import html
import json
import os
from collections import Counter
from typing import Any

import pandas as pd

from .mapping import FIELD_LABELS, IDENTITY_TARGETS, FieldMapping, target_label

__all__ = ["Mapper", "mapping_code"]

try:
    import ipywidgets as W
except ImportError as exc:  # pragma: no cover - ipywidgets is a core dependency
    raise ImportError("the mapper needs ipywidgets: pip install ipywidgets") from exc

IGNORE = "ignore"
PREVIEW_ROWS = 2000


def _options(extra_fields: set[int]) -> list[tuple[str, str]]:
    fields = sorted(set(FIELD_LABELS) | extra_fields)
    return [("— ignore —", IGNORE)] + [(t.replace("_", " "), t) for t in IDENTITY_TARGETS if t != "id"] + \
        [(target_label(f"field{n}"), f"field{n}") for n in fields]


def mapping_code(mapping: FieldMapping, options: dict[str, Any], *, frame_name: str = "df") -> str:
    """Python that reproduces a mapping and a push, for a notebook that re-runs without clicks."""
    pairs = ", ".join(f"{column!r}: {target!r}" for column, target in mapping.items())
    args = "".join(f", {k}={v!r}" for k, v in options.items())
    return ("import inwise_pandas as inwise\n\n"
            f"mapping = inwise.FieldMapping({{{pairs}}})\n"
            "client = inwise.Client()  # reads INWISE_API_KEY\n"
            f"result = {frame_name}.inwise.push(mapping, client=client{args})\n"
            "result.summary")


class Mapper(W.VBox):
    """Choose how columns map to inwise fields, check the list, preview the request, push.

    Attributes:
        mapping: the current :class:`FieldMapping` (always up to date).
        result: the last :class:`PushResult`, or None.

    Example:
        >>> w = df.inwise.mapper()          # doctest: +SKIP
        >>> w                               # doctest: +SKIP
    """

    def __init__(self, frame: pd.DataFrame, *, client=None, **push_options: Any):
        self._frame = frame
        self._client = client
        self._sandbox = None
        self.result = None
        self._extra_fields: set[int] = set()
        suggested = FieldMapping.suggest(frame)
        columns = list(dict.fromkeys(frame.columns))
        self.dropdowns: dict[Any, W.Dropdown] = {}
        rows = []
        for column in columns:
            dropdown = W.Dropdown(options=_options(set()), value=suggested.get(column, IGNORE),
                                  layout=W.Layout(width="220px"), description_allow_html=False)
            dropdown.observe(self._changed, names="value")
            self.dropdowns[column] = dropdown
            rows.append(W.HBox([W.HTML(f"<b>{html.escape(str(column))}</b>", layout=W.Layout(width="160px")),
                                W.HTML(self._samples(column), layout=W.Layout(width="300px")), dropdown],
                               layout=W.Layout(align_items="center")))
        self.field_number = W.BoundedIntText(value=3, min=1, max=999, description="field #",
                                             layout=W.Layout(width="150px"))
        self.add_field = W.Button(description="Add personal field", icon="plus", layout=W.Layout(width="auto"))
        self.add_field.on_click(self._add_field)

        self.mode = W.ToggleButtons(options=["auto", "upsert", "batch"], value=push_options.pop("mode", "auto"),
                                    description="mode")
        wide = {"description_width": "initial"}
        self.group_id = W.Text(value=str(push_options.pop("group_id", "") or ""), description="group id",
                               placeholder="e.g. 715983", style=wide)
        self.country_code = W.Text(value=str(push_options.pop("country_code", "") or ""), description="country code",
                                   placeholder="e.g. 972", style=wide)
        self.trim_leading_zero = W.Checkbox(value=bool(push_options.pop("trim_leading_zero", False)),
                                            description="trim leading zero")
        self.update_existing = W.Checkbox(value=bool(push_options.pop("update_existing_contacts", True)),
                                          description="update existing contacts")
        self._other_options = push_options
        for control in (self.mode, self.group_id, self.country_code, self.trim_leading_zero, self.update_existing):
            control.observe(self._changed, names="value")

        self.check = W.HTML()
        self.preview = W.HTML()
        self.code = W.Textarea(layout=W.Layout(width="100%", height="140px", display="none"))
        self.show_code = W.Button(description="Show code", icon="code", layout=W.Layout(width="auto"))
        self.show_code.on_click(self._toggle_code)
        self.push_button = W.Button(description="Push", button_style="primary", icon="upload")
        self.push_button.on_click(self._push)
        self.output = W.Output()
        self.status = W.HTML()

        self.api_key = W.Password(description="API key", placeholder="inwise API key (never stored)")
        self.connect = W.Button(description="Connect")
        self.connect.on_click(self._connect)
        self.use_sandbox = W.Button(description="Use local sandbox", icon="flask", layout=W.Layout(width="auto"))
        self.use_sandbox.on_click(self._start_sandbox)
        needs_key = client is None and not os.environ.get("INWISE_API_KEY")
        self.key_box = W.HBox([self.api_key, self.connect, self.use_sandbox],
                              layout=W.Layout(display="flex" if needs_key else "none"))

        super().__init__([
            W.HTML("<h4 style='margin:4px 0'>inwise field mapping</h4>"),
            W.VBox(rows),
            W.HBox([self.field_number, self.add_field]),
            W.HTML("<h4 style='margin:8px 0 4px'>Options</h4>"),
            self.mode, W.HBox([self.group_id, self.country_code]),
            W.HBox([self.trim_leading_zero, self.update_existing]),
            W.HTML("<h4 style='margin:8px 0 4px'>Check</h4>"), self.check,
            W.HTML("<h4 style='margin:8px 0 4px'>First request</h4>"), self.preview,
            self.key_box,
            W.HBox([self.push_button, self.show_code]), self.code, self.status, self.output,
        ])
        self.add_class("inwise-mapper")
        self._refresh()

    # -- state -------------------------------------------------------------------------------
    def _samples(self, column) -> str:
        values = self._frame[column]
        if isinstance(values, pd.DataFrame):
            values = values.iloc[:, 0]
        shown = [str(v)[:28] for v in values.dropna().head(3)]
        return "<span style='color:#666'>" + html.escape(" · ".join(shown) or "(empty)") + "</span>"

    @property
    def chosen(self) -> dict[Any, str]:
        return {column: d.value for column, d in self.dropdowns.items() if d.value != IGNORE}

    @property
    def mapping(self) -> FieldMapping:
        """The current mapping; raises MappingError while two columns share a target."""
        return FieldMapping(self.chosen)

    @property
    def options(self) -> dict[str, Any]:
        """The push options the controls stand for (only those set)."""
        options: dict[str, Any] = {"mode": self.mode.value}
        if self.group_id.value.strip():
            options["group_id"] = self.group_id.value.strip()
        if self.country_code.value.strip():
            options["country_code"] = self.country_code.value.strip()
        if self.trim_leading_zero.value:
            options["trim_leading_zero"] = True
        if not self.update_existing.value:
            options["update_existing_contacts"] = False
        return {**options, **self._other_options}

    # -- events --------------------------------------------------------------------------------
    def _changed(self, _change=None) -> None:
        self._refresh()

    def _add_field(self, _button=None) -> None:
        self._extra_fields.add(int(self.field_number.value))
        for dropdown in self.dropdowns.values():
            value = dropdown.value
            dropdown.options = _options(self._extra_fields)
            dropdown.value = value

    def _toggle_code(self, _button=None) -> None:
        visible = self.code.layout.display != "none"
        self.code.layout.display = "none" if visible else "block"
        self.show_code.description = "Show code" if visible else "Hide code"

    def _connect(self, _button=None) -> None:
        from .client import Client

        key = self.api_key.value
        self.api_key.value = ""  # never kept in the widget, so never saved with the notebook
        if not key:
            self.status.value = "<span style='color:#b00'>Enter an API key first.</span>"
            return
        self._client = Client(key)
        self.key_box.layout.display = "none"
        self.status.value = "Connected to inwise (the key is held by the client only)."
        self._refresh()

    def _start_sandbox(self, _button=None) -> None:
        from .sandbox import sandbox

        self._sandbox = sandbox(api_key="demo-key")
        self._client = self._sandbox.client()
        self.key_box.layout.display = "none"
        self.status.value = f"Using the local sandbox at {html.escape(self._sandbox.url)}."
        self._refresh()

    def _refresh(self) -> None:
        counts = Counter(self.chosen.values())
        doubled = [t for t, n in counts.items() if n > 1]
        options = {k: v for k, v in self.options.items() if k != "mode"}
        if doubled:
            names = ", ".join(target_label(t) for t in doubled)
            self._problem(f"Two columns are mapped to {html.escape(names)}: choose one.")
            return
        try:
            mapping = self.mapping
            checked = self._frame.inwise.validate(mapping, **options)
        except Exception as exc:  # shown in the widget: a notebook callback must not raise
            self._problem(html.escape(str(exc)))
            return
        self.check.value = _check_html(checked)
        self.preview.value = self._preview_html(mapping, options)
        self.code.value = mapping_code(mapping, self.options)
        self.push_button.disabled = not bool(checked["will_send"].any())

    def _problem(self, message: str) -> None:
        self.check.value = f"<div class='inwise-problem' style='color:#b00'>{message}</div>"
        self.preview.value = ""
        self.push_button.disabled = True

    def _preview_html(self, mapping: FieldMapping, options: dict) -> str:
        frame = self._frame.head(PREVIEW_ROWS)
        note = f" (from the first {PREVIEW_ROWS:,} rows)" if len(self._frame) > PREVIEW_ROWS else ""
        mode = self.mode.value
        if mode == "auto":
            from .plan import AUTO_BATCH_THRESHOLD

            mode = "batch" if len(self._frame) > AUTO_BATCH_THRESHOLD else "upsert"
        try:
            if mode == "upsert":
                bodies = frame.inwise.to_upserts(mapping, **{k: v for k, v in options.items()
                                                             if k != "update_existing_contacts"})
                text = json.dumps(bodies[0], ensure_ascii=False, indent=2) if bodies else "(nothing to send)"
                title = f"POST /contacts{note}"
            else:
                bodies = frame.inwise.to_batch(mapping, **options)
                if not bodies:
                    text = "(nothing to send)"
                else:
                    body = dict(bodies[0])
                    lines = body.pop("csv_file").split("\n")
                    head = "\n".join(lines[:6]) + (f"\n… {len(lines) - 7} more rows" if len(lines) > 7 else "")
                    text = "csv_file:\n" + head + "\n\n" + json.dumps(body, ensure_ascii=False, indent=2)
                title = f"POST /contacts/batchInsert{note}"
        except Exception as exc:
            return f"<span style='color:#b00'>{html.escape(str(exc))}</span>"
        return (f"<div style='color:#555'>{html.escape(title)}</div>"
                f"<pre class='inwise-preview' style='max-height:260px;overflow:auto;background:#f6f8fa;"
                f"padding:6px;direction:ltr'>{html.escape(text)}</pre>")

    def _push(self, _button=None) -> None:
        self.output.clear_output()
        if self._client is None and not os.environ.get("INWISE_API_KEY"):
            self.status.value = "<span style='color:#b00'>Connect with an API key or use the local sandbox.</span>"
            self.key_box.layout.display = "flex"
            return
        options = self.options
        mode = options.pop("mode")
        self.push_button.disabled = True
        self.status.value = "Pushing…"
        try:
            with self.output:
                self.result = self._frame.inwise.push(self.mapping, client=self._client, mode=mode, progress=True,
                                                      **options)
            self.status.value = ""
            self.output.append_display_data(_ResultView(self.result))
        except Exception as exc:
            self.status.value = f"<span style='color:#b00'>Push failed: {html.escape(str(exc))}</span>"
        finally:
            self.push_button.disabled = False

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None
        super().close()


class _ResultView:
    """Shows a PushResult's HTML (summary and failed rows) in the widget's output area."""

    def __init__(self, result):
        self._result = result

    def _repr_html_(self) -> str:
        return self._result._repr_html_()

    def __repr__(self) -> str:
        return repr(self._result)


def _check_html(checked: pd.DataFrame) -> str:
    total = len(checked)
    sending = int(checked["will_send"].sum())
    duplicates = int(checked["duplicate_of"].notna().sum())
    conflicts = int(checked["conflict_with"].notna().sum())
    reasons = checked.loc[~checked["will_send"], "error"].fillna("not sent").str.split(";").str[0].value_counts()
    items = "".join(f"<li>{n} × {html.escape(r)}</li>" for r, n in reasons.head(6).items())
    return (f"<div class='inwise-check'><b>{sending:,}</b> of {total:,} rows will be sent · "
            f"<b>{total - sending:,}</b> will not · {duplicates:,} duplicates merged · {conflicts:,} conflicts"
            + (f"<ul style='margin:2px 0'>{items}</ul>" if items else "") + "</div>")
