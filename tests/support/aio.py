"""Run a coroutine to completion from a synchronous test, whatever this thread holds.

Playwright's sync API (the session-scoped browser fixture) leaves an event loop marked as
running in the main thread, so a plain ``asyncio.run`` fails in any test that a pytest
worker runs after a browser test. A thread of its own has no running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
