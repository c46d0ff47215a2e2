import socket

import pytest


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch, request):
    """Unit tests never open a socket; system tests may reach loopback only."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if "system" not in request.keywords and "browser" not in request.keywords and "notebook" not in request.keywords:
            raise RuntimeError(f"unit test tried to open a connection to {address!r}")
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise RuntimeError(f"test tried to reach {address!r}; only loopback is allowed")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.delenv("INWISE_API_KEY", raising=False)
    monkeypatch.delenv("INWISE_BASE_URL", raising=False)
