"""The switches the CLI reads (SAFEHOLD_DEBUG, SAFEHOLD_FAST, SAFEHOLD_CLIPBOARD_CLEAR) come
from ClientSettings, parsed by the same functions the fast path uses without loading it."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehold.client.paths import debug_enabled, fast_enabled
from safehold.client.settings import ClientSettings


@pytest.mark.parametrize(
    ("value", "fast", "debug"),
    [(None, True, False), ("1", True, True), ("0", False, False), ("off", False, False),
     ("FALSE", False, False), ("yes", True, True), ("", True, False)],
)  # fmt: skip
def test_switches_read_alike_by_settings_and_fast_path(
    tmp_path: Path, value: str | None, fast: bool, debug: bool
) -> None:
    env = {} if value is None else {"SAFEHOLD_FAST": value, "SAFEHOLD_DEBUG": value}
    settings = ClientSettings.load(home=tmp_path, env=env)
    assert (settings.fast, settings.debug) == (fast, debug)
    assert (fast_enabled(env), debug_enabled(env)) == (fast, debug)


def test_the_cli_reads_no_setting_from_the_environment_itself() -> None:
    """Only the clipboard tool detection (DISPLAY, WAYLAND_DISPLAY) and `run`'s child
    environment look at os.environ in cli/; every SAFEHOLD_ setting goes through the settings."""
    cli = Path(__file__).resolve().parents[3] / "src" / "safehold" / "cli"
    for source in cli.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for line in text.splitlines():
            code = line.split("#", 1)[0]
            if "SAFEHOLD_" in code and ("environ" in code or "getenv" in code):
                raise AssertionError(f"{source.name} reads a setting itself: {line.strip()}")
