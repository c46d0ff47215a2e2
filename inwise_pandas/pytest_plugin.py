"""pytest plugin: ``def test_x(inwise_sandbox): ...`` gets a running, empty sandbox."""

from __future__ import annotations

import pytest


@pytest.fixture
def inwise_sandbox():
    """A local inwise API on 127.0.0.1 for the test; ``.client()`` gives a bound Client."""
    from .sandbox import sandbox

    with sandbox(api_key="test-key") as sb:
        yield sb
