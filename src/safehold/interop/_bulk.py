"""Bulk work (imports, exports) with the cyclic garbage collector paused."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk read or write: an import or export
    makes tens of thousands of small dicts that reference counting frees (none form
    cycles), and each collection would walk every one still alive: a large import spent a
    third of its time there. The collector is restored (and runs as usual) afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
