"""Push options, given pythonically once and sent under their documented names."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .normalize import MobileOptions

__all__ = ["SendOptions"]

_DUPLICATES = ("merge", "flag", "keep")
_KEEP = ("first", "last", "most_complete")


def _group_ids(value: Any, name: str) -> tuple[int, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, (int, str)) else list(value)
    out = []
    for item in items:
        text = str(item).strip()
        if not text.isdigit():
            raise ValueError(f"{name} must hold group ids made of digits, got {item!r}")
        out.append(int(text))
    return tuple(out)


@dataclass(frozen=True)
class SendOptions:
    """Options shared by validation, dry runs and pushes.

    Mobile options (``country_code``, ``trim_leading_zero``) drive both request forms; see
    :class:`~inwise_pandas.normalize.MobileOptions`. ``group_id`` adds every contact to that group
    (``add_to_groups_ids`` in upserts, ``group_id`` in batches).
    """

    country_code: str | None = None
    trim_leading_zero: bool = False
    group_id: str | None = None
    add_to_groups_ids: tuple[int, ...] = ()
    remove_from_groups_ids: tuple[int, ...] = ()
    remove_from_all_other_groups: bool | None = None
    clear_existing_fields: bool | None = None
    confirmation_status: str | None = None
    update_existing_contacts: bool = True
    date_format: str = "%d/%m/%Y"
    duplicates: str = "merge"
    keep: str = "first"
    chunk_size: int = 10_000
    max_body_bytes: int = 5_000_000
    mobile: MobileOptions = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "mobile", MobileOptions(self.country_code, bool(self.trim_leading_zero)))
        object.__setattr__(self, "country_code", self.mobile.country_code)
        if self.group_id is not None:
            group = str(self.group_id).strip()
            if not group.isdigit():
                raise ValueError(f"group_id must be digits such as '715983', got {self.group_id!r}")
            object.__setattr__(self, "group_id", group)
        object.__setattr__(self, "add_to_groups_ids", _group_ids(self.add_to_groups_ids, "add_to_groups_ids"))
        object.__setattr__(
            self, "remove_from_groups_ids", _group_ids(self.remove_from_groups_ids, "remove_from_groups_ids")
        )
        if self.duplicates not in _DUPLICATES:
            raise ValueError(f"duplicates must be one of {_DUPLICATES}, got {self.duplicates!r}")
        if self.keep not in _KEEP:
            raise ValueError(f"keep must be one of {_KEEP}, got {self.keep!r}")
        if int(self.chunk_size) < 1:
            raise ValueError("chunk_size must be at least 1")
        if int(self.max_body_bytes) < 1024:
            raise ValueError("max_body_bytes must be at least 1024")

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> SendOptions:
        """Build from keyword options; an unknown name is a TypeError that lists the known ones."""
        known = {f.name for f in dataclasses.fields(cls) if f.init}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise TypeError(f"unknown option(s) {unknown}; known options: {sorted(known)}")
        return cls(**kwargs)

    @property
    def groups_to_add(self) -> tuple[int, ...]:
        extra = (int(self.group_id),) if self.group_id else ()
        return tuple(dict.fromkeys(extra + self.add_to_groups_ids))

    @property
    def upsert_only(self) -> list[str]:
        """Options set here that batchInsert does not document."""
        names = []
        if self.remove_from_groups_ids:
            names.append("remove_from_groups_ids")
        if len(self.groups_to_add) > 1 or (self.add_to_groups_ids and not self.group_id):
            names.append("add_to_groups_ids")
        for name in ("remove_from_all_other_groups", "clear_existing_fields", "confirmation_status"):
            if getattr(self, name) is not None:
                names.append(name)
        return names
