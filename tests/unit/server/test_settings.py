"""Settings: defaults, environment, TOML file, and flags, in that order of precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehold.server.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("SAFEHOLD_"):
            monkeypatch.delenv(key)


def test_defaults_need_no_setup() -> None:
    s = Settings()
    assert (s.host, s.port, s.base_url) == ("127.0.0.1", 8420, "http://127.0.0.1:8420")
    assert s.effective_database_url == f"sqlite:///{s.data_dir / 'safehold.db'}"
    assert s.outbox_dir == s.data_dir / "outbox"
    assert s.smtp_host is None and s.reset_token_minutes == 60
    assert s.max_body_bytes == 16 * 1024 * 1024 and s.max_envelope_bytes == 1024 * 1024
    assert s.max_items_per_account == 100_000


def test_environment_and_toml_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "server.toml"
    config.write_text('port = 9000\nbase_url = "https://from-file.example/"\nsmtp_host = "mail.example"\n')
    monkeypatch.setenv("SAFEHOLD_CONFIG", str(config))
    monkeypatch.setenv("SAFEHOLD_SMTP_HOST", "env-mail.example")
    s = load_settings(port=9100)
    assert s.port == 9100  # flag beats file
    assert s.smtp_host == "env-mail.example"  # environment beats file
    assert s.base_url == "https://from-file.example"  # file beats default; no trailing slash


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_path / "nope.toml")


def test_secret_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFEHOLD_SECRET", "hunter2-server-secret")
    monkeypatch.setenv("SAFEHOLD_SMTP_PASSWORD", "smtp-pass-123")
    s = Settings()
    assert "hunter2" not in repr(s) and "smtp-pass-123" not in repr(s)
