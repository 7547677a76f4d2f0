"""Logging for ``serve``: stderr, and a file when ``SAFEHOLD_LOG_FILE`` is set.

What is logged is chosen at each call site: ids, routes, statuses and error types. No
request body, query string, token, password, key or envelope is ever passed to a logger.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", log_file: Path | None = None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    formatter = logging.Formatter(FORMAT)
    root = logging.getLogger("safehold")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False
    # uvicorn's own loggers go to the same places; its access log is replaced by ours,
    # which redacts reset tokens from paths.
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = list(handlers)
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
