"""The sandbox's HTTP server: a threaded stdlib server on loopback, keep-alive, one send per answer."""

from __future__ import annotations

import gc
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pandas as pd

from .app import MAX_BODY_BYTES, App, Faults, Response

__all__ = ["Sandbox", "sandbox", "serve"]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
            411: "Length Required", 413: "Payload Too Large", 414: "URI Too Long", 422: "Unprocessable Entity",
            429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


class _Headers(dict):
    """Request headers, looked up without regard to case."""

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def get(self, key: str, default=None):
        return super().get(key.lower(), default)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "inwise-sandbox"
    sys_version = ""
    # Headers and body go out in one write, and Nagle is off, so keep-alive never waits on a delayed ACK.
    disable_nagle_algorithm = True
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the key is in headers, never logged
        pass

    def _write(self, response: Response) -> None:
        body = response.body
        payload = b"" if body is None else body if isinstance(body, bytes) else orjson.dumps(body)
        lines = [f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Error')}",
                 "Content-Type: application/json; charset=utf-8", f"Content-Length: {len(payload)}"]
        lines += [f"{k}: {v}" for k, v in response.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # The stdlib sends HTML; every answer here is JSON.
        self.close_connection = True
        try:
            self._write(Response(code, {"error": _REASONS.get(code, "error").lower().replace(" ", "_"),
                                        "message": message or _REASONS.get(code, "error")}))
        except OSError:
            pass

    def handle_one_request(self) -> None:
        # A small parser instead of the stdlib's email-based one: a third of a keep-alive round trip.
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline:
                self.close_connection = True
                return
            if len(self.raw_requestline) > 65536:
                self.send_error(414)
                return
            if not self._parse_head():
                return
            self._serve()
            self.wfile.flush()
        except (TimeoutError, socket.timeout, ConnectionError):
            self.close_connection = True

    def _parse_head(self) -> bool:
        try:
            line = self.raw_requestline.decode("latin-1").rstrip("\r\n")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
            line = ""
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.send_error(400, "malformed request line")
            return False
        self.command, self.path, self.request_version = parts
        self.requestline = line
        headers = _Headers()
        for _ in range(101):
            raw = self.rfile.readline(65537)
            if len(raw) > 65536:
                self.send_error(431, "header line too long")
                return False
            if raw in (b"\r\n", b"\n", b""):
                break
            name, sep, value = raw.decode("latin-1").partition(":")
            if not sep or not name.strip() or name != name.strip():
                self.send_error(400, "malformed header line")
                return False
            headers[name] = value.strip()
        else:
            self.send_error(431, "too many headers")
            return False
        self.headers = headers
        connection = headers.get("Connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive")
        return True

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding"):
            self.send_error(411, "send the body with a Content-Length")
            return None
        text = self.headers.get("Content-Length", "0").strip()
        if not text.isdigit():
            self.send_error(400, "Content-Length must be a whole number")
            return None
        length = int(text)
        if length > MAX_BODY_BYTES:
            self.send_error(413, f"bodies are limited to {MAX_BODY_BYTES} bytes")
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.send_error(400, f"the body ended after {len(body)} of {length} bytes")
            return None
        return body

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        app: App = self.server.app
        latency = app.faults.latency
        if latency:
            time.sleep(latency)
        try:
            response = app.handle(self.command, self.path, self.headers, body)
        except Exception:  # a bug must still answer in JSON, never drop the connection
            self.close_connection = True
            response = Response(500, {"error": "internal", "message": "sandbox error"})
        if response.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self._write(response)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address, app: App):
        super().__init__(address, _Handler)
        self.app = app


class Sandbox:
    """A running sandbox. Use :func:`sandbox` for a context manager.

    Attributes:
        url: the base URL, ending in ``/rest/v1``.
        api_keys: the keys it accepts; each is its own account.
    """

    def __init__(self, api_key: str = "demo-key", *, api_keys: list[str] | None = None, host: str = "127.0.0.1",
                 port: int = 0, latency: float = 0.0, faults: Faults | None = None, **fault_options: Any):
        keys = list(api_keys or [api_key])
        if api_key not in keys:
            keys.insert(0, api_key)
        self.api_key = keys[0]
        self.api_keys = keys
        faults = faults or Faults(latency=latency, **fault_options)
        self.app = App(keys, faults)
        self._server = _Server((host, port), self.app)
        self.host, self.port = self._server.server_address[:2]
        self.url = f"http://{self.host}:{self.port}/rest/v1"
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Sandbox(url={self.url!r}, accounts={len(self.api_keys)})"

    def start(self) -> Sandbox:
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="inwise-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self if self._thread else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def client(self, api_key: str | None = None, **client_options: Any):
        """An :class:`inwise_pandas.Client` bound to this sandbox."""
        from ..client import Client  # imported here: the server itself never depends on the client

        return Client(api_key or self.api_key, base_url=self.url, **client_options)

    def set_faults(self, **faults: Any) -> None:
        """Change injected faults at run time: error_rate, drop_rate, rate_limit_rate, retry_after, latency, seed."""
        self.app.set_faults(Faults(**faults))

    @property
    def stats(self) -> dict:
        return dict(self.app.stats)

    def reset(self, api_key: str | None = None) -> None:
        """Empty one account (or every account)."""
        for key, account in self.app.accounts.items():
            if api_key is None or key == api_key:
                account.reset()

    def contacts(self, api_key: str | None = None) -> pd.DataFrame:
        """The stored contacts of an account as a DataFrame (personal fields as ``field<N>`` columns)."""
        records = self.app.accounts[api_key or self.api_key].snapshot()
        rows = []
        for record in records:
            row = {k: v for k, v in record.items() if k != "fields"}
            row.update({f["name"]: f["content"] for f in record["fields"]})
            rows.append(row)
        columns = ["id", "email", "mobile_number", "confirmation_status", "external_id", "groups",
                   "created_date", "updated_date"]
        frame = pd.DataFrame(rows, columns=columns + sorted({k for r in rows for k in r} - set(columns),
                                                            key=lambda c: int(c[5:])))
        frame["id"] = frame["id"].astype("Int64")
        for column in ("email", "mobile_number"):
            frame[column] = frame[column].astype("string")
        return frame.sort_values("id", ignore_index=True)


def sandbox(api_key: str = "demo-key", *, port: int = 0, latency: float = 0.0, **options: Any) -> Sandbox:
    """Start a local inwise API emulator on 127.0.0.1 in a background thread.

    Example:
        >>> with sandbox(api_key="demo-key") as sb:
        ...     client = sb.client()
        ...     client.upsert_contact({"email": "dana@example.com"})["status"]
        'created'
    """
    return Sandbox(api_key, port=port, latency=latency, **options).start()


def serve(*, host: str = "127.0.0.1", port: int = 8765, api_keys: list[str], **fault_options: Any) -> None:
    """Run a sandbox in the foreground until interrupted (the ``inwise-pandas sandbox`` command)."""
    # A standalone server holds millions of long-lived contact objects; frequent full GC scans of
    # them would dominate request time.
    gc.set_threshold(100_000, 50, 1000)
    sb = Sandbox(api_keys[0], api_keys=api_keys, host=host, port=port, **fault_options)
    print(f"inwise sandbox listening on {sb.url}  (accounts: {len(api_keys)}; Ctrl+C to stop)", flush=True)
    try:
        sb._server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        sb._server.server_close()
