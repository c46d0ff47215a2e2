"""inwise-pandas: push pandas DataFrames to inwise contact lists and read them back.

Importing the package registers the ``df.inwise`` accessor.
"""

from __future__ import annotations

from . import accessor as _accessor  # noqa: F401  (registers df.inwise)
from .client import Client
from .errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    ConflictError,
    InwiseError,
    MappingError,
    RateLimitError,
    TransportError,
    ValidationError,
)
from .mapping import FieldMapping
from .plan import AUTO_BATCH_THRESHOLD
from .read import read_journal, read_recent
from .result import PushResult
from .sandbox import Sandbox, sandbox
from .stream import push_csv

__version__ = "0.1.0"

__all__ = [
    "AUTO_BATCH_THRESHOLD",
    "ApiError",
    "AuthError",
    "Client",
    "ConfigurationError",
    "ConflictError",
    "FieldMapping",
    "InwiseError",
    "MappingError",
    "PushResult",
    "RateLimitError",
    "Sandbox",
    "TransportError",
    "ValidationError",
    "push_csv",
    "read_journal",
    "read_recent",
    "sandbox",
]
