"""Attack: a local user reads the server's files (issue "hardening" item 2).

The outbox holds live reset links and the database the verifiers; the data directory must
be 0700 and every file in it 0600, whether the server created it or an older version left
it readable, and the server says in its log what it tightened."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.support.accounts import TestAccount, signup
from tests.support.server import run_server

from safehold import wire


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_file_the_server_keeps_is_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    outbox = data_dir / "outbox"
    outbox.mkdir(parents=True)
    data_dir.chmod(0o755)
    outbox.chmod(0o755)
    old_mail = outbox / "20240101T000000000000-old.eml"
    old_mail.write_text("Subject: old reset link\n\nhttp://example.test/reset#token\n")
    old_mail.chmod(0o644)
    old_log = data_dir / "server.log"
    old_log.write_text("")
    old_log.chmod(0o644)

    with run_server(tmp_path, data_dir=data_dir) as server, server.client() as http:
        account = TestAccount.new()
        signup(http, account)
        response = http.post(f"{wire.API_PREFIX}/reset", json={"email": account.email})
        assert response.status_code == 202
        server.wait_for_mail(2)
        log_text = server.log_text()
        kept = list(data_dir.rglob("*"))

    assert _mode(data_dir) == 0o700
    assert _mode(outbox) == 0o700
    files = [p for p in kept if p.is_file() and p.exists()]
    assert any(p.name == "safehold.db" for p in files)
    assert any(p.name == "server-secret" for p in files)
    assert len(list(outbox.glob("*.eml"))) >= 2
    loose = {str(p): oct(_mode(p)) for p in files if p.exists() and _mode(p) & 0o077}
    assert loose == {}
    assert "file mode tightened" in log_text
    assert str(old_mail) in log_text
