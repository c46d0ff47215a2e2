"""The sandbox's accounts and their rules, with no HTTP in sight.

Every rule the API documentation states is applied here; where it is silent, the choice made is
listed in docs/assumptions.md.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson

__all__ = ["Account", "Contact", "RequestError", "CONFLICT_MESSAGE"]

CONFLICT_MESSAGE = "The email exists for contact ID #{email_id}.The mobile number exists for contact ID #{mobile_id}."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_FIELD_NAME = re.compile(r"^field(\d{1,3})$")


class RequestError(Exception):
    """A rule refused the request: becomes a JSON error with this status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Contact:
    id: int
    email: str | None = None
    mobile_number: str | None = None
    confirmation_status: str | None = None
    external_id: str | None = None
    fields: dict[int, str] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)
    created_date: str = ""
    updated_date: str = ""
    version: int = 0  # bumped by every change
    cached: bytes | None = field(default=None, repr=False)

    def to_json_bytes(self) -> bytes:
        """The contact as JSON, serialised once per change (reads return whole pages of these)."""
        if self.cached is None:
            self.cached = orjson.dumps(self.to_json())
        return self.cached

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "email": self.email,
            "mobile_number": self.mobile_number,
            "confirmation_status": self.confirmation_status,
            "external_id": self.external_id,
            "fields": [{"name": f"field{n}", "content": self.fields[n]} for n in sorted(self.fields)],
            "groups": list(self.groups),
            "created_date": self.created_date,
            "updated_date": self.updated_date,
        }


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_mobile(value: str | None, *, trim_zero: bool, country_code: str | None) -> str | None:
    """Digits only, then the documented options: trim one leading zero; add the code if missing."""
    if value is None:
        return None
    digits = re.sub(r"[\s\-\(\)\.]", "", value)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits == "":
        return None
    if not digits.isdigit():
        raise RequestError(400, f"mobile_number {value!r} is not a phone number")
    if trim_zero and digits.startswith("0"):
        digits = digits[1:]
    if country_code and not digits.startswith(country_code):
        digits = country_code + digits
    if not 7 <= len(digits) <= 15:
        raise RequestError(400, f"mobile_number {value!r} must have 7 to 15 digits")
    return digits


def normalise_email(value: str | None) -> str | None:
    if value is None:
        return None
    email = value.strip().lower()
    if email == "":
        return None
    if not _EMAIL.match(email):
        raise RequestError(400, f"email {value!r} is not a valid address")
    return email


class Account:
    """One API key's contacts. All methods are thread-safe."""

    _ids = itertools.count(439_130_000)
    _ids_lock = threading.Lock()

    def __init__(self):
        self.lock = threading.RLock()
        self.contacts: dict[int, Contact] = {}
        self.by_email: dict[str, int] = {}
        self.by_mobile: dict[str, int] = {}
        # The read cursor: contacts not yet returned, oldest first (reads take from the end).
        self.pending_created: dict[int, None] = {}
        self.pending_changed: dict[int, None] = {}

    def reset(self) -> None:
        with self.lock:
            self.contacts.clear()
            self.by_email.clear()
            self.by_mobile.clear()
            self.pending_created.clear()
            self.pending_changed.clear()

    def _new_id(self) -> int:
        with Account._ids_lock:
            return next(Account._ids)

    def _find(self, email: str | None, mobile: str | None) -> Contact | None:
        email_id = self.by_email.get(email) if email else None
        mobile_id = self.by_mobile.get(mobile) if mobile else None
        if email_id and mobile_id and email_id != mobile_id:
            raise RequestError(422, CONFLICT_MESSAGE.format(email_id=email_id, mobile_id=mobile_id))
        found = email_id or mobile_id
        return self.contacts[found] if found else None

    def _index(self, contact: Contact, email: str | None, mobile: str | None) -> None:
        if email and email != contact.email:
            if contact.email:
                self.by_email.pop(contact.email, None)
            contact.email = email
            self.by_email[email] = contact.id
        if mobile and mobile != contact.mobile_number:
            if contact.mobile_number:
                self.by_mobile.pop(contact.mobile_number, None)
            contact.mobile_number = mobile
            self.by_mobile[mobile] = contact.id

    def _touch(self, contact: Contact, created: bool, stamp: str | None = None) -> None:
        stamp = stamp or _now()
        if created:
            contact.created_date = stamp
        contact.updated_date = stamp
        contact.version += 1
        # Serialised when written, so reads (whole pages at a time) only join bytes.
        contact.cached = orjson.dumps(contact.to_json())
        if created:
            self.pending_created[contact.id] = None
        self.pending_changed.pop(contact.id, None)
        self.pending_changed[contact.id] = None

    def upsert(self, body: dict) -> tuple[Contact, bool]:
        """Apply one ``POST /contacts`` body; return the contact and whether it was created."""
        email = normalise_email(body.get("email"))
        mobile = normalise_mobile(
            body.get("mobile_number"),
            trim_zero=bool(body.get("trim_mobile_number_leading_zero")),
            country_code=body.get("mobile_number_default_country_code")
            if body.get("add_default_country_to_mobile_number_only_if_not_exists") else None,
        )
        contact_id = body.get("id") or 0
        with self.lock:
            if contact_id:
                contact = self.contacts.get(contact_id)
                if contact is None:
                    raise RequestError(404, f"contact ID #{contact_id} does not exist")
                other = self._find(email, None) or self._find(None, mobile)
                if other is not None and other.id != contact_id:
                    raise RequestError(422, CONFLICT_MESSAGE.format(
                        email_id=self.by_email.get(email, contact_id), mobile_id=self.by_mobile.get(mobile, contact_id)))
            else:
                if not email and not mobile:
                    raise RequestError(400, "a contact needs an email or a mobile_number")
                contact = self._find(email, mobile)
            return self._write(contact, email, mobile, body)

    def _write(self, contact: Contact | None, email, mobile, body: dict, stamp: str | None = None):
        """Create (when ``contact`` is None) or update a contact; the caller holds the lock."""
        created = contact is None
        if created:
            contact = Contact(id=self._new_id())
            self.contacts[contact.id] = contact
        self._index(contact, email, mobile)
        self._apply(contact, body)
        self._touch(contact, created, stamp)
        return contact, created

    def _apply(self, contact: Contact, body: dict) -> None:
        fields = {int(_FIELD_NAME.match(f["name"]).group(1)): f["content"] for f in body.get("fields") or []}
        if body.get("clear_existing_fields"):
            contact.fields = {}
        contact.fields.update({n: c for n, c in fields.items() if c is not None})
        if body.get("confirmation_status") is not None:
            contact.confirmation_status = body["confirmation_status"]
        if body.get("external_id") is not None:
            contact.external_id = body["external_id"]
        adding = [g for g in body.get("add_to_groups_ids") or [] if g]
        if body.get("remove_from_all_other_groups"):
            contact.groups = [g for g in contact.groups if g in adding]
        removing = set(body.get("remove_from_groups_ids") or [])
        contact.groups = [g for g in contact.groups if g not in removing]
        contact.groups += [g for g in adding if g not in contact.groups]

    def batch_insert(self, csv_text: str, mapping: list[dict], *, group_id: str | None, update_existing: bool,
                     country_code: str | None, trim_zero: bool) -> dict:
        """Apply one ``POST /contacts/batchInsert``; return counts and per-row errors."""
        reader = csv.reader(io.StringIO(csv_text, newline=""))
        header = next(reader, None)
        if not header:
            raise RequestError(400, "csv_file has no header row")
        header = [h.strip() for h in header]
        columns: dict[str, int] = {}
        for item in mapping:
            name, column = item["field_name"], item["file_column_name"]
            if column not in header:
                raise RequestError(400, f"fields_mapping names column {column!r}, which csv_file does not have")
            columns[name] = header.index(column)
        group = int(group_id) if group_id else None
        stamp = _now()  # one import, one moment
        counts = {"inserted": 0, "updated": 0, "skipped": 0, "failed": 0}
        errors = []
        for number, values in enumerate(reader, start=1):
            if not values or values == [""]:
                continue
            try:
                if len(values) != len(header):
                    raise RequestError(400, f"row has {len(values)} columns, the header has {len(header)}")
                outcome = self._import_row(values, columns, group, update_existing, country_code, trim_zero, stamp)
                counts[outcome] += 1
            except RequestError as exc:
                counts["failed"] += 1
                errors.append({"row": number, "error": exc.message})
        return {**counts, "errors": errors}

    def _import_row(self, values, columns, group, update_existing, country_code, trim_zero, stamp) -> str:
        def get(name):
            index = columns.get(name)
            value = values[index].strip() if index is not None else ""
            return value or None

        email = normalise_email(get("[Email]"))
        mobile = normalise_mobile(get("[MobileNumber]"), trim_zero=trim_zero, country_code=country_code)
        if not email and not mobile:
            raise RequestError(400, "no email and no mobile number")
        fields = [{"name": f"field{n}", "content": get(n)} for n in columns if n.isdigit() and get(n) is not None]
        body = {"fields": fields, "add_to_groups_ids": [group] if group else []}
        with self.lock:
            contact = self._find(email, mobile)
            if contact is not None and not update_existing:
                return "skipped"
            _, created = self._write(contact, email, mobile, body, stamp)
        return "inserted" if created else "updated"

    def recently_updated(self, *, limit: int, reset: bool, include_updated: bool) -> bytes:
        """The consume-once cursor: contacts not returned before (or changed since, when asked).

        Most recently created (or changed) first; a returned contact leaves both queues.
        """
        with self.lock:
            if reset:
                by_creation = sorted(self.contacts.values(), key=lambda c: (c.created_date, c.id))
                by_change = sorted(self.contacts.values(), key=lambda c: (c.updated_date, c.id))
                self.pending_created = dict.fromkeys(c.id for c in by_creation)
                self.pending_changed = dict.fromkeys(c.id for c in by_change)
            queue = self.pending_changed if include_updated else self.pending_created
            page = list(itertools.islice(reversed(queue), limit))
            for contact_id in page:
                self.pending_created.pop(contact_id, None)
                self.pending_changed.pop(contact_id, None)
            return b"[" + b",".join(self.contacts[contact_id].to_json_bytes() for contact_id in page) + b"]"

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [c.to_json() for c in self.contacts.values()]
