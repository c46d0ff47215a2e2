"""A local emulator of the inwise contacts API, for demos, notebooks and tests."""

from .app import MAX_BODY_BYTES, Faults
from .server import Sandbox, sandbox, serve

__all__ = ["Faults", "MAX_BODY_BYTES", "Sandbox", "sandbox", "serve"]
