"""The environment of a `safehold` process in the tests: one profile, a server, cheap keys.

Every subprocess test runs the CLI with a minimal PATH, a HOME of its own, the file
keystore (no OS keychain here) and a KDF floor that lets the tests' cheap Argon2id cost
through (spec §3.2: tests lower the floor on the client, never through the server).
"""

from __future__ import annotations

from pathlib import Path


def profile_env(
    *, home: Path, profile: Path, server: str, runtime: Path, device_name: str, **extra: str
) -> dict[str, str]:
    """``SAFEHOLD_*`` for one profile; ``extra`` adds or overrides (e.g. SAFEHOLD_PASSWORD)."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "SAFEHOLD_HOME": str(profile),
        "SAFEHOLD_SERVER": server,
        "SAFEHOLD_KDF_FLOOR": "1,8,1",
        "SAFEHOLD_TEST_ONLY_INSECURE_SIGNUP_KDF": "1,8,1",
        "SAFEHOLD_KEYSTORE": "file",
        "SAFEHOLD_RUNTIME_DIR": str(runtime),
        "SAFEHOLD_DEVICE_NAME": device_name,
        **extra,
    }
