"""Where a profile's files and its agent's socket are, from the environment alone.

Kept free of heavy imports: the CLI's fast path (cli/fast.py) finds the agent through it
before deciding whether to load anything else. ``ClientSettings`` uses the same functions.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from pathlib import Path

APP_NAME = "safehold"


def default_home() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def default_runtime_dir() -> Path:
    import platformdirs

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, then falls back sensibly.
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir(APP_NAME))


def home_from(env: Mapping[str, str] = os.environ) -> Path:
    raw = env.get("SAFEHOLD_HOME")
    return (Path(raw) if raw else default_home()).expanduser().absolute()


def runtime_dir_from(env: Mapping[str, str] = os.environ) -> Path:
    raw = env.get("SAFEHOLD_RUNTIME_DIR")
    return Path(raw) if raw else default_runtime_dir()


def _sha256(data: bytes) -> str:
    try:  # the built-in module: hashlib would load OpenSSL, a few ms of every fast read
        from _sha256 import sha256  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - Pythons that build only hashlib
        from hashlib import sha256
    return str(sha256(data).hexdigest())


def agent_socket(home: Path, runtime_dir: Path) -> Path:
    """One agent per profile, so two profiles of one user never share keys."""
    tag = _sha256(str(home).encode())[:16]
    return runtime_dir / f"agent-{tag}.sock"
