"""Progress bars live here, outside the I/O: tqdm.auto when installed, else nothing."""

from __future__ import annotations

from typing import Any


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(enabled: bool, **kwargs: Any):
    """A tqdm.auto bar (widget in Jupyter, text on a terminal) or a silent stand-in."""
    if not enabled:
        return _Silent()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is a core dependency, but a stripped install still works
        return _Silent()
    return tqdm(**kwargs)
