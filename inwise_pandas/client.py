"""The HTTP client: one requests.Session, the API key header, retries, one send boundary."""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import ApiError, ConfigurationError, TransportError, api_error_for
from .payloads import encode_body

__all__ = ["Client", "DEFAULT_BASE_URL", "Reply"]

DEFAULT_BASE_URL = "https://api.inwise.com/rest/v1"
RETRY_STATUSES = (429, 502, 503, 504)
log = logging.getLogger("inwise_pandas")


@dataclass(frozen=True)
class Reply:
    """One answered request: status, parsed body and how many retries it took."""

    status: int
    body: Any
    retries: int


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _parse(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.text


class Client:
    """A connection to the inwise REST API.

    Args:
        api_key: the account's API key; defaults to the ``INWISE_API_KEY`` environment variable.
        base_url: defaults to ``INWISE_BASE_URL``, else ``https://api.inwise.com/rest/v1``.
            Plain ``http`` is refused except to loopback, so the key never crosses a network in clear.
        timeout: seconds per request.
        max_retries: retries for 429, 502, 503, 504 and connection errors, with jittered exponential
            backoff that honours ``Retry-After``.
        backoff_factor: first backoff step in seconds.
        pool_size: keep-alive connections kept per host (the push pool uses up to this many).

    Example:
        >>> client = Client("my-key", base_url="http://127.0.0.1:8765/rest/v1")
        >>> client
        Client(base_url='http://127.0.0.1:8765/rest/v1', api_key=***)
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
        pool_size: int = 32,
    ):
        self.__api_key = api_key if api_key is not None else os.environ.get("INWISE_API_KEY")
        self.base_url = (base_url or os.environ.get("INWISE_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"base_url must be an http(s) URL, got {self.base_url!r}")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ConfigurationError(
                f"refusing to send the API key over plain http to {parts.hostname}; use https "
                "(plain http is allowed only to loopback addresses)"
            )
        self.timeout = timeout
        self.max_retries = int(max_retries)
        self._retries_lock = threading.Lock()
        self.retries_total = 0
        self.requests_total = 0
        retry = Retry(
            total=self.max_retries,
            connect=self.max_retries,
            read=self.max_retries,
            status=self.max_retries,
            other=0,
            # POST /contacts is an upsert keyed by email/mobile, so a repeat cannot duplicate.
            allowed_methods=frozenset({"GET", "POST"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            backoff_jitter=backoff_factor,
            backoff_max=30.0,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_connections=4, pool_maxsize=pool_size)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._headers = {"Accept": "application/json", "User-Agent": "inwise-pandas"}
        # Read proxy and CA settings from the environment once, not on every request (requests
        # re-scans os.environ per call, a third of a loopback round trip).
        self._session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        self._session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self._session.trust_env = False
        # Redirects could carry the key elsewhere; the API does not use them.
        self._session.max_redirects = 0

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, api_key={'***' if self.__api_key else None})"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a Client holds a secret and cannot be pickled")

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # The one boundary where requests' and urllib3's exceptions become ours.
    def send(self, method: str, path: str, *, body: dict | None = None, params: dict | None = None) -> Reply:
        """Send one request; return a :class:`Reply` for any HTTP answer below 400.

        Raises:
            ConfigurationError: no API key.
            ApiError: (or AuthError, ConflictError, RateLimitError) for an HTTP error status.
            TransportError: no HTTP answer after every retry.
        """
        if not self.__api_key:
            raise ConfigurationError(
                "no inwise API key: pass Client(api_key=...) or set the INWISE_API_KEY environment variable"
            )
        url = f"{self.base_url}/{path.lstrip('/')}"
        headers = {**self._headers, "X-API-Key": self.__api_key}
        data = None
        if body is not None:
            data = encode_body(body)
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            # Prepared directly rather than through Session.request: the session has no cookies, auth or
            # hooks to merge, and skipping the merge saves a fifth of a loopback round trip.
            prepared = requests.Request(method, url, data=data, params=params, headers=headers).prepare()
            response = self._session.send(prepared, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            self._count(self.max_retries)
            raise TransportError(f"{method} {url} got no answer after {self.max_retries} retries: "
                                 f"{type(exc).__name__}") from None
        retries = _retries_of(response)
        self._count(retries)
        parsed = _parse(response)
        log.debug("%s %s -> %s (%d retries)", method, url, response.status_code, retries)
        if response.status_code >= 400:
            error = api_error_for(response.status_code, parsed, url=url)
            error.retries = retries
            raise error
        return Reply(response.status_code, parsed, retries)

    def _count(self, retries: int) -> None:
        with self._retries_lock:
            self.retries_total += retries
            self.requests_total += 1

    # Documented endpoints
    def upsert_contact(self, body: dict) -> Any:
        """``POST /contacts``: create or update one contact; returns the parsed JSON answer."""
        return self.send("POST", "contacts", body=body).body

    def batch_insert(self, body: dict) -> Any:
        """``POST /contacts/batchInsert``: import a CSV of contacts; returns the parsed JSON answer."""
        return self.send("POST", "contacts/batchInsert", body=body).body

    def recently_updated(
        self, *, limit: int = 1000, reset: bool = False, search_by_updated_or_added_date: bool = False
    ) -> Any:
        """``GET /contacts/recently_updated``; each read returns only contacts not returned before."""
        return self.send("GET", "contacts/recently_updated", params=recent_params(
            limit=limit, reset=reset, search_by_updated_or_added_date=search_by_updated_or_added_date)).body


def recent_params(*, limit: int, reset: bool, search_by_updated_or_added_date: bool) -> dict:
    """The documented query string, in the documented order, booleans in lowercase."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValueError(f"limit must be a whole number from 1 to 1000, got {limit!r}")
    return {
        "search_by_updated_or_added_date": "true" if search_by_updated_or_added_date else "false",
        "reset": "true" if reset else "false",
        "limit": str(limit),
    }


def _retries_of(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", None)
    return len(history) if history else 0


ApiError.retries = 0
