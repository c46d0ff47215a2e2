"""Routes and request checks of the sandbox: (method, path, headers, body) → (status, JSON)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import orjson

from .store import Account, RequestError

__all__ = ["App", "Faults", "MAX_BODY_BYTES", "Response"]

#: Bodies above this size are refused with 413.
MAX_BODY_BYTES = 10 * 1024 * 1024
PREFIX = "/rest/v1"
ROUTES = {
    f"{PREFIX}/contacts": "POST",
    f"{PREFIX}/contacts/batchInsert": "POST",
    f"{PREFIX}/contacts/recently_updated": "GET",
}
_BOOL_KEYS = ("remove_from_all_other_groups", "clear_existing_fields", "trim_mobile_number_leading_zero",
              "add_default_country_to_mobile_number_only_if_not_exists")
_TEXT_KEYS = ("email", "mobile_number", "confirmation_status", "external_id", "mobile_number_default_country_code")


@dataclass
class Response:
    status: int
    body: dict | list | bytes | None  # bytes: JSON already serialised
    headers: dict = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


@dataclass
class Faults:
    """Injected faults, each a probability per request; seedable for repeatable runs."""

    error_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: int = 0
    latency: float = 0.0
    seed: int | None = None

    def __post_init__(self):
        for name in ("error_rate", "drop_rate", "rate_limit_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after cannot be negative")


class App:
    """The sandbox's logic; the HTTP server only moves bytes in and out of :meth:`handle`."""

    def __init__(self, api_keys: list[str], faults: Faults | None = None):
        if not api_keys:
            raise ValueError("the sandbox needs at least one API key")
        self.accounts = {key: Account() for key in api_keys}
        self._faults_lock = threading.Lock()
        self.set_faults(faults or Faults())
        self.stats = {"requests": 0, "faults_5xx": 0, "faults_dropped": 0, "faults_429": 0}

    def set_faults(self, faults: Faults) -> None:
        with self._faults_lock:
            self.faults = faults
            self._random = random.Random(faults.seed)

    def _draw(self) -> tuple[str | None, bool, int]:
        """Which fault hits this request, whether a drop comes after the work, and the 5xx status."""
        with self._faults_lock:
            f, r = self.faults, self._random
            if f.rate_limit_rate and r.random() < f.rate_limit_rate:
                return "429", False, 429
            if f.error_rate and r.random() < f.error_rate:
                return "5xx", False, r.choice((502, 503, 504))
            if f.drop_rate and r.random() < f.drop_rate:
                return "drop", r.random() < 0.5, 0
            return None, False, 0

    def count(self, key: str) -> None:
        with self._faults_lock:
            self.stats[key] += 1

    def handle(self, method: str, target: str, headers, body: bytes, work_done=None) -> Response:
        self.count("requests")
        path, _, query = target.partition("?")
        allowed = ROUTES.get(path.rstrip("/") or "/")
        if allowed is None:
            return error(404, f"no route {path}")
        if method != allowed:
            return Response(405, {"error": "method_not_allowed", "message": f"{path} accepts {allowed} only"},
                            {"Allow": allowed})
        account = self.accounts.get(headers.get("X-API-Key") or "")
        if account is None:
            return error(401, "missing or wrong X-API-Key")
        fault, drop_after, status = self._draw()
        if fault == "429":
            self.count("faults_429")
            return Response(429, {"error": "too_many_requests", "message": "rate limit exceeded"},
                            {"Retry-After": str(self.faults.retry_after)})
        if fault == "5xx":
            self.count("faults_5xx")
            return error(status, "injected server error")
        if fault == "drop" and not drop_after:
            self.count("faults_dropped")
            return Response(0, None, drop=True)
        try:
            response = self._route(path, query, body, account)
        except RequestError as exc:
            response = error(exc.status, exc.message)
        if fault == "drop":
            self.count("faults_dropped")
            return Response(0, None, drop=True)
        return response

    def _route(self, path: str, query: str, body: bytes, account: Account) -> Response:
        if path.endswith("/recently_updated"):
            return self._recent(query, account)
        data = parse_json(body)
        if path.endswith("/batchInsert"):
            return self._batch(data, account)
        contact, created = account.upsert(check_upsert(data))
        return Response(200, {"id": contact.id, "status": "created" if created else "updated"})

    def _batch(self, data, account: Account) -> Response:
        if not isinstance(data, dict):
            raise RequestError(400, "the body must be a JSON object")
        csv_file = data.get("csv_file")
        if not isinstance(csv_file, str):
            raise RequestError(400, "csv_file must be a string of CSV text")
        mapping = data.get("fields_mapping")
        if not isinstance(mapping, list) or not mapping:
            raise RequestError(400, "fields_mapping must be a non-empty list")
        for item in mapping:
            if not isinstance(item, dict) or not isinstance(item.get("field_name"), str) or not isinstance(
                    item.get("file_column_name"), str):
                raise RequestError(400, "each fields_mapping entry needs field_name and file_column_name strings")
            name = item["field_name"]
            if name not in ("[Email]", "[MobileNumber]") and not (name.isdigit() and 1 <= int(name) <= 999):
                raise RequestError(400, f"unknown field_name {name!r}")
        group_id = _optional(data, "group_id", str)
        if group_id is not None and not group_id.isdigit():
            raise RequestError(400, "group_id must be a string of digits")
        update = _optional(data, "updateExistingContacts", bool)
        code = _optional(data, "country_code", str)
        if code is not None and not code.isdigit():
            raise RequestError(400, "country_code must be a string of digits")
        trim = _optional(data, "trim_leading_zero", bool)
        result = account.batch_insert(csv_file, mapping, group_id=group_id,
                                      update_existing=True if update is None else update,
                                      country_code=code, trim_zero=bool(trim))
        return Response(200, result)

    def _recent(self, query: str, account: Account) -> Response:
        try:
            params = parse_qs(query, keep_blank_values=True, strict_parsing=False, max_num_fields=20)
        except ValueError as exc:
            raise RequestError(400, f"bad query string: {exc}") from None
        flags = {}
        for name in ("search_by_updated_or_added_date", "reset"):
            value = params.get(name, ["false"])[-1].lower()
            if value not in ("true", "false"):
                raise RequestError(400, f"{name} must be true or false")
            flags[name] = value == "true"
        limit_text = params.get("limit", ["1000"])[-1]
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
            raise RequestError(400, "limit must be a whole number from 1 to 1000")
        page = account.recently_updated(limit=int(limit_text), reset=flags["reset"],
                                        include_updated=flags["search_by_updated_or_added_date"])
        return Response(200, page)


def error(status: int, message: str) -> Response:
    names = {400: "bad_request", 401: "unauthorized", 404: "not_found", 411: "length_required",
             413: "payload_too_large", 422: "conflict"}
    return Response(status, {"error": names.get(status, "error"), "message": message})


def parse_json(body: bytes):
    try:
        return orjson.loads(body)
    except (orjson.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestError(400, f"the body is not valid UTF-8 JSON: {type(exc).__name__}") from None


def _optional(data: dict, key: str, kind: type):
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise RequestError(400, f"{key} must be a {kind.__name__}")
    return value


def _int_list(data: dict, key: str) -> None:
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise RequestError(400, f"{key} must be a list of group ids (whole numbers)")


def check_upsert(data) -> dict:
    """Refuse wrong types with 400 before any rule runs."""
    if not isinstance(data, dict):
        raise RequestError(400, "the body must be a JSON object")
    contact_id = data.get("id")
    if contact_id is not None and (not isinstance(contact_id, int) or isinstance(contact_id, bool) or contact_id < 0):
        raise RequestError(400, "id must be a whole number")
    for key in _TEXT_KEYS:
        _optional(data, key, str)
    for key in _BOOL_KEYS:
        _optional(data, key, bool)
    code = data.get("mobile_number_default_country_code")
    if code is not None and not code.isdigit():
        raise RequestError(400, "mobile_number_default_country_code must be digits")
    _int_list(data, "add_to_groups_ids")
    _int_list(data, "remove_from_groups_ids")
    fields = data.get("fields")
    if fields is not None:
        if not isinstance(fields, list):
            raise RequestError(400, "fields must be a list of {name, content}")
        for item in fields:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise RequestError(400, "each field needs a name such as 'field1'")
            name = item["name"]
            if not (name.startswith("field") and name[5:].isdigit() and 1 <= int(name[5:]) <= 999):
                raise RequestError(400, f"unknown personal field {name!r}; use field1, field2, ...")
            if item.get("content") is not None and not isinstance(item["content"], str):
                raise RequestError(400, f"{name} content must be a string")
    return data
