"""Which frame column feeds which inwise field.

A target is one of ``"email"``, ``"mobile"``, ``"external_id"``, ``"confirmation_status"``,
``"id"`` (an existing contact id) or a personal field ``N`` given as ``1``, ``"1"`` or ``"field1"``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Hashable, Iterator, Mapping
from typing import Any

import pandas as pd

from .errors import MappingError

__all__ = ["FieldMapping", "FIELD_LABELS", "canonical_target", "target_label"]

IDENTITY_TARGETS = ("email", "mobile", "external_id", "confirmation_status", "id")

#: Readable labels of the personal fields inwise accounts have by default.
FIELD_LABELS: dict[int, str] = {
    1: "first name",
    2: "last name",
    3: "gender",
    4: "city",
    5: "address",
    6: "company",
    21: "birthday",
}

_ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "mobile_number": "mobile",
    "mobilenumber": "mobile",
    "[email]": "email",
    "[mobilenumber]": "mobile",
    "phone": "mobile",
    "externalid": "external_id",
    "contact_id": "id",
}
_FIELD_RE = re.compile(r"^(?:field)?\s*(\d+)$", re.IGNORECASE)


def canonical_target(target: Any) -> str:
    """``1`` / ``"1"`` / ``"field1"`` → ``"field1"``; ``"E-mail"`` → ``"email"``.

    Raises:
        MappingError: the target is not an inwise field.
    """
    if isinstance(target, bool):
        raise MappingError(f"{target!r} is not an inwise field")
    if isinstance(target, int):
        if target < 1:
            raise MappingError(f"personal field numbers start at 1, got {target}")
        return f"field{target}"
    if isinstance(target, str):
        text = target.strip().lower()
        text = _ALIASES.get(text, text)
        if text in IDENTITY_TARGETS:
            return text
        match = _FIELD_RE.match(text)
        if match and int(match.group(1)) >= 1:
            return f"field{int(match.group(1))}"
    raise MappingError(
        f"{target!r} is not an inwise field: use 'email', 'mobile', 'external_id', "
        "'confirmation_status', 'id' or a personal field number such as 1 or 'field1'"
    )


def field_number(target: str) -> int | None:
    """``"field21"`` → 21; identity targets → None."""
    return int(target[5:]) if target.startswith("field") else None


def target_label(target: str) -> str:
    """A readable label: ``"field2"`` → ``"2 · last name"``."""
    number = field_number(target)
    if number is None:
        return target.replace("_", " ")
    label = FIELD_LABELS.get(number)
    return f"{number} · {label}" if label else f"field {number}"


class FieldMapping(Mapping):
    """An ordered, validated mapping of frame column → inwise target.

    Example:
        >>> m = FieldMapping({"Email": "email", "Mobile": "mobile", "First": 1})
        >>> m["First"]
        'field1'
    """

    def __init__(self, columns: Mapping[Hashable, Any] | None = None, /):
        self._columns: dict[Hashable, str] = {}
        seen: dict[str, Hashable] = {}
        for column, target in dict(columns or {}).items():
            if target is None or (isinstance(target, str) and target.strip().lower() in ("", "ignore")):
                continue
            canonical = canonical_target(target)
            if canonical in seen:
                raise MappingError(
                    f"columns {seen[canonical]!r} and {column!r} are both mapped to {canonical!r}; "
                    "map one column per inwise field"
                )
            seen[canonical] = column
            self._columns[column] = canonical

    # Mapping protocol
    def __getitem__(self, column: Hashable) -> str:
        return self._columns[column]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return f"FieldMapping({self._columns!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FieldMapping):
            return list(self._columns.items()) == list(other._columns.items())
        return NotImplemented

    @property
    def targets(self) -> dict[str, Hashable]:
        """Target → column."""
        return {target: column for column, target in self._columns.items()}

    def check(self, frame: pd.DataFrame) -> None:
        """Raise :class:`MappingError` unless every mapped column exists once in ``frame``."""
        if not self._columns:
            raise MappingError("the mapping is empty: map at least an email or a mobile column")
        if "email" not in self.targets and "mobile" not in self.targets and "id" not in self.targets:
            raise MappingError("the mapping has neither an email nor a mobile column")
        missing = [c for c in self._columns if c not in frame.columns]
        if missing:
            raise MappingError(
                f"mapped column(s) {missing!r} not in the frame; it has {list(frame.columns)!r}"
            )
        doubled = [c for c in self._columns if (frame.columns == c).sum() > 1]
        if doubled:
            raise MappingError(f"the frame has more than one column named {doubled!r}; rename them")

    # Serialisation
    def to_dict(self) -> dict[Hashable, str]:
        """Column → canonical target."""
        return dict(self._columns)

    @classmethod
    def from_dict(cls, columns: Mapping[Hashable, Any]) -> FieldMapping:
        return cls(columns)

    def to_json(self, **kwargs: Any) -> str:
        """JSON text; non-string column names (integers) keep their type."""
        pairs = [{"column": c, "target": t} for c, t in self._columns.items()]
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("indent", 2)
        return json.dumps({"columns": pairs}, **kwargs)

    @classmethod
    def from_json(cls, text: str) -> FieldMapping:
        """Read :meth:`to_json` output, or a plain ``{"column": target}`` object."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(f"mapping JSON is not valid: {exc}") from exc
        if isinstance(data, dict) and isinstance(data.get("columns"), list):
            try:
                return cls({p["column"]: p["target"] for p in data["columns"]})
            except (KeyError, TypeError) as exc:
                raise MappingError("each mapping entry needs 'column' and 'target'") from exc
        if isinstance(data, dict):
            return cls(data)
        raise MappingError("mapping JSON must be an object")

    @classmethod
    def suggest(cls, frame: pd.DataFrame, *, sample: int = 500) -> FieldMapping:
        """Propose a mapping from column names (English and Hebrew) and from the values.

        Each target is chosen at most once; a name match beats a content match.

        Example:
            >>> df = pd.DataFrame({"E-mail": ["a@b.co"], "Cell": ["054-1111111"]})
            >>> FieldMapping.suggest(df).to_dict()
            {'E-mail': 'email', 'Cell': 'mobile'}
        """
        from .suggest import suggest_targets

        return cls(suggest_targets(frame, sample=sample))


def header_key(name: Hashable) -> str:
    """Header text folded for matching: lowercase, no punctuation, no spaces, NFKC."""
    text = unicodedata.normalize("NFKC", str(name)).lower()
    return re.sub(r"[\s_\-\.\"'״׳()/:]+", "", text)
