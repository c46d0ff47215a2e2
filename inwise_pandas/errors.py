"""Every error the package raises descends from :class:`InwiseError`."""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigurationError",
    "ConflictError",
    "InwiseError",
    "MappingError",
    "RateLimitError",
    "TransportError",
    "ValidationError",
]

_CONFLICT_IDS = re.compile(
    r"email exists for contact ID #(\d+).*?mobile number exists for contact ID #(\d+)",
    re.IGNORECASE | re.DOTALL,
)


class InwiseError(Exception):
    """Root of every inwise-pandas error."""


class ConfigurationError(InwiseError):
    """The client is missing something it needs (an API key, a safe URL)."""


class MappingError(InwiseError, ValueError):
    """A field mapping does not fit the frame (missing column, target used twice, ...)."""


class ValidationError(InwiseError, ValueError):
    """Input values that cannot be sent; the message names the row and the column."""


class TransportError(InwiseError):
    """The request never got an HTTP answer (connection refused, dropped, timed out)."""


def error_message(body: Any) -> str:
    """Pull a human message out of an error body of any plausible shape."""
    if isinstance(body, dict):
        for key in ("message", "error", "detail", "Message", "errors"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict):
                return error_message(value)
            if isinstance(value, list) and value:
                return "; ".join(error_message(v) for v in value)
        return str(body)
    if body is None:
        return ""
    return str(body)


def parse_conflict_ids(text: str) -> tuple[int | None, int | None]:
    """The two contact ids in inwise's 422 text, or (None, None)."""
    match = _CONFLICT_IDS.search(text or "")
    if not match:
        return None, None
    return int(match.group(1)), int(match.group(2))


class ApiError(InwiseError):
    """The API answered with an error status.

    Attributes:
        status: the HTTP status code.
        body: the parsed JSON body, or the raw text when it was not JSON.
    """

    def __init__(self, status: int, body: Any = None, *, url: str | None = None):
        self.status = status
        self.body = body
        self.url = url
        where = f" from {url}" if url else ""
        detail = error_message(body)
        super().__init__(f"HTTP {status}{where}: {detail}" if detail else f"HTTP {status}{where}")


class AuthError(ApiError):
    """401/403: the API key is missing, wrong or not allowed."""


class RateLimitError(ApiError):
    """429 after every retry was spent."""


class ConflictError(ApiError):
    """422: the email belongs to one contact and the mobile number to another."""

    def __init__(self, status: int, body: Any = None, *, url: str | None = None):
        super().__init__(status, body, url=url)
        self.email_contact_id, self.mobile_contact_id = parse_conflict_ids(error_message(body))


def api_error_for(status: int, body: Any, *, url: str | None = None) -> ApiError:
    """The most specific :class:`ApiError` subclass for an HTTP status."""
    if status in (401, 403):
        return AuthError(status, body, url=url)
    if status == 422:
        return ConflictError(status, body, url=url)
    if status == 429:
        return RateLimitError(status, body, url=url)
    return ApiError(status, body, url=url)
