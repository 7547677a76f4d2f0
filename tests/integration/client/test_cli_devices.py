"""The real CLI (subprocesses, separate profiles) against the real server (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import profile_env
from tests.support.liar import LyingProxy
from tests.support.server import ServerHandle
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD
from tests.unit.client._reset import reset_account

Run = Callable[..., subprocess.CompletedProcess[str]]
EMAIL = "ann@example.com"


@pytest.fixture
def device(tmp_path: Path) -> Callable[[ServerHandle], Run]:
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))

    def bind(server: ServerHandle) -> Run:
        def run(
            profile: str,
            *args: str,
            password: str | None = PASSWORD,
            stdin: str | None = None,
            env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
            environment = profile_env(
                home=tmp_path, profile=tmp_path / profile, server=server.base_url,
                runtime=runtime / profile, device_name=profile, SAFEHOLD_IDLE_TIMEOUT="30",
            )  # fmt: skip
            if password is not None:
                environment["SAFEHOLD_PASSWORD"] = password
            environment.update(env or {})
            return subprocess.run(
                [sys.executable, "-m", "safehold.cli.main", *args],
                env=environment,
                input=stdin,
                capture_output=True,
                text=True,
                timeout=60,
            )

        return run

    return bind


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}{result.stdout}"
    return result


def _titles(run: Run, profile: str, **kw: Any) -> list[str]:
    return sorted(i["title"] for i in _json(_ok(run(profile, "list", "--json", **kw))))


def test_two_devices_add_edit_conflict_delete(
    any_server: ServerHandle, device: Callable[[ServerHandle], Run]
) -> None:
    run = device(any_server)
    key = _json(_ok(run("A", "signup", EMAIL, "--json")))["account_key"]
    _ok(run("A", "add", "login", "--title", "GitHub", "--field", "username=ann", "--field", "password=one"))
    _ok(run("A", "add", "login", "--title", "Router", "--field", "password=r1"))
    _ok(run("A", "sync"))
    _ok(run("B", "login", EMAIL, "--account-key", key))
    assert run("B", "get", "GitHub", "--field", "password").stdout == "one\n"

    # Same field edited on both while offline: both values survive.
    _ok(run("A", "edit", "GitHub", "--field", "password=from-a"))
    _ok(run("B", "edit", "GitHub", "--field", "password=from-b"))
    # Delete on A while B edits.
    _ok(run("A", "rm", "Router"))
    _ok(run("B", "edit", "Router", "--field", "password=r2"))
    _ok(run("A", "sync"))
    conflicted = run("B", "sync", "--json")
    assert conflicted.returncode == 7, conflicted.stderr
    _ok(run("A", "sync"))
    for profile in ("A", "B"):
        titles = _titles(run, profile)
        assert titles[:2] == ["GitHub", "GitHub (conflict copy from B, " + titles[1].split(", ", 1)[1]]
        assert "Router" in titles
        assert run(profile, "get", "GitHub", "--field", "password").stdout == "from-a\n"
        assert run(profile, "get", "Router", "--field", "password").stdout == "r2\n"
        copy = next(t for t in titles if "conflict copy" in t)
        assert run(profile, "get", copy, "--field", "password").stdout == "from-b\n"
    # The copy carries its mark, so A (which did not make it) lists it as well, until removed.
    for profile in ("A", "B"):
        conflicts = _json(run(profile, "status", "--json"))["conflicts"]
        assert [c["title"] for c in conflicts] == [copy]
    _ok(run("A", "rm", conflicts[0]["copy_id"]))
    _ok(run("A", "sync"))
    _ok(run("B", "sync"))
    for profile in ("A", "B"):
        assert _json(run(profile, "status", "--json"))["conflicts"] == []


def test_three_devices_converge(server: ServerHandle, device: Callable[[ServerHandle], Run]) -> None:
    run = device(server)
    key = _json(_ok(run("A", "signup", EMAIL, "--json")))["account_key"]
    for profile in ("B", "C"):
        _ok(run(profile, "login", EMAIL, "--account-key", key))
    for profile in ("A", "B", "C"):
        _ok(run(profile, "add", "secure note", "--title", f"note from {profile}", "--notes", profile))
    for profile in ("A", "B", "C", "A", "B"):
        _ok(run(profile, "sync"))
    expected = ["note from A", "note from B", "note from C"]
    assert _titles(run, "A") == _titles(run, "B") == _titles(run, "C") == expected


def test_password_change_reaches_b(server: ServerHandle, device: Callable[[ServerHandle], Run]) -> None:
    run = device(server)
    key = _json(_ok(run("A", "signup", EMAIL, "--json")))["account_key"]
    _ok(run("A", "add", "login", "--title", "GitHub"))
    _ok(run("A", "sync"))
    _ok(run("B", "login", EMAIL, "--account-key", key))
    _ok(run("A", "change-password", "--password-stdin", password=None, stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n"))
    refused = run("B", "unlock", "--password-stdin", password=None, stdin=f"{PASSWORD}\n")
    # The old password is refused, and the device says why (issue 15: the truth, not a guess).
    assert refused.returncode == 3
    assert "the account password was changed on another device" in refused.stderr
    try:
        _ok(run("B", "unlock", "--password-stdin", password=None, stdin=f"{NEW_PASSWORD}\n"))
        assert _titles(run, "B", password=None) == ["GitHub"]
    finally:
        run("B", "lock")
    assert run("B", "list", password=PASSWORD).returncode == 3


def test_reset_archives_on_each_device_and_restore_brings_everything_back(
    any_server: ServerHandle, device: Callable[[ServerHandle], Run], tmp_path: Path
) -> None:
    server = any_server
    run = device(server)
    key = _json(_ok(run("A", "signup", EMAIL, "--json")))["account_key"]
    _ok(run("A", "add", "login", "--title", "GitHub"))
    _ok(run("A", "sync"))
    _ok(run("B", "login", EMAIL, "--account-key", key))
    _ok(run("B", "add", "login", "--title", "made offline on B"))
    with server.client() as http:
        new_key = reset_account(http, server.outbox_dir, EMAIL, PASSWORD)
    for profile in ("A", "B"):
        result = run(profile, "sync")
        assert result.returncode == 9, result.stderr
        assert "the server says the account was reset on" in result.stderr
        assert "nothing was deleted" in result.stderr and "safehold archive restore" in result.stderr
        assert not list((tmp_path / profile / "vaults").glob("*.db"))
        assert not list((tmp_path / profile / "keys").glob("*.key"))
        assert run(profile, "list").returncode == 8  # no account on this device any more
        (archive,) = _json(_ok(run(profile, "archive", "list", "--json")))["archives"]
        assert archive["email"] == EMAIL and archive["has_account_key"]
        assert archive["unsynced"] == (1 if profile == "B" else 0)
    assert run("B", "login", EMAIL, "--account-key", key).returncode == 3  # the old key is useless
    _ok(run("B", "login", EMAIL, "--account-key", new_key.to_text()))
    assert _titles(run, "B") == []
    assert _json(run("B", "status", "--json"))["generation"] == 2
    # The old password opens the archive (its old key is inside); items come back re-sealed.
    old = {"SAFEHOLD_OLD_PASSWORD": PASSWORD}
    dry = _json(_ok(run("B", "archive", "restore", "--dry-run", "--json", env=old)))
    assert sorted(dry["added"]) == ["GitHub", "made offline on B"] and _titles(run, "B") == []
    assert run("B", "archive", "restore", "--json", env={"SAFEHOLD_OLD_PASSWORD": "wrong"}).returncode == 3
    restored = _json(_ok(run("B", "archive", "restore", "--json", env=old)))
    assert restored["unsynced"] == ["made offline on B"]
    assert _titles(run, "B") == ["GitHub", "made offline on B"]
    _ok(run("B", "sync"))
    _ok(run("A", "login", EMAIL, "--account-key", new_key.to_text()))
    assert _titles(run, "A") == ["GitHub", "made offline on B"]
    (archive,) = _json(_ok(run("B", "archive", "list", "--json")))["archives"]
    assert archive["restored_into"] == 2
    assert run("B", "archive", "delete", "nope").returncode == 25
    _ok(run("B", "archive", "delete", archive["id"]))
    assert _json(_ok(run("B", "archive", "list", "--json")))["archives"] == []


@pytest.mark.parametrize("lie", ["410", "generation"])
def test_a_forged_reset_claim_archives_and_signing_in_again_puts_it_back(
    server: ServerHandle, device: Callable[[ServerHandle], Run], tmp_path: Path, lie: str
) -> None:
    """A liar in front of the real server claims a reset (a forged 410, or a forged newer
    generation): the device uploads nothing and archives; the claim was false, so signing in
    again with the password alone puts everything back, the unsynced edit included."""
    run = device(server)
    with LyingProxy(server.base_url).running() as proxy:
        via = {"SAFEHOLD_SERVER": proxy.base_url}
        _ok(run("A", "signup", EMAIL, "--json", env=via))
        _ok(run("A", "add", "login", "--title", "GitHub", env=via))
        _ok(run("A", "sync", env=via))
        _ok(run("A", "add", "login", "--title", "not yet synced", env=via))
        proxy.mode = lie
        pushes = proxy.pushes
        result = run("A", "sync", "--json", env=via)
        assert result.returncode == 9, result.stderr + result.stdout
        error = _json(result)["error"]
        assert error["kind"] == "account_reset" and error["archive"]
        assert proxy.pushes == pushes  # nothing uploaded on the claim
        assert not list((tmp_path / "A" / "vaults").glob("*.db"))
        (archive,) = _json(_ok(run("A", "archive", "list", "--json")))["archives"]
        assert archive["id"] == error["archive"] and archive["unsynced"] == 1 and archive["items"] == 2
        # The Emergency Kit in the profile went with it, and comes back with it.
        assert archive["kits"] and not list((tmp_path / "A" / "kits").glob("*.pdf"))
        proxy.mode = None
        back = run("A", "login", EMAIL, env=via)
        assert back.returncode == 0, back.stderr + back.stdout
        assert "using the account key stored on this device" in back.stderr
        assert _titles(run, "A", env=via) == ["GitHub", "not yet synced"]
        assert _json(_ok(run("A", "archive", "list", "--json")))["archives"] == []
        assert [p.name for p in (tmp_path / "A" / "kits").glob("*.pdf")] == archive["kits"]
        _ok(run("B", "login", EMAIL, "--account-key", archive_key(tmp_path / "A"), env=via))
        assert _titles(run, "B", env=via) == ["GitHub", "not yet synced"]


def archive_key(home: Path) -> str:
    """The account key A stores (its file keystore), to sign B in."""
    (path,) = (home / "keys").glob("*.key")
    return path.read_text().strip()


def test_rotate_key_on_two_devices(
    any_server: ServerHandle, device: Callable[[ServerHandle], Run], tmp_path: Path
) -> None:
    server = any_server
    run = device(server)
    old_key = _json(_ok(run("A", "signup", EMAIL, "--json")))["account_key"]
    _ok(run("A", "add", "login", "--title", "GitHub", "--field", "password=s3cret-item-value"))
    _ok(run("A", "sync"))
    _ok(run("B", "login", EMAIL, "--account-key", old_key))
    _ok(run("B", "add", "login", "--title", "offline on B"))
    kit = tmp_path / "new-kit.pdf"
    rotated = _json(_ok(run("A", "rotate-key", "--kit", str(kit), "--json")))
    new_key = rotated["account_key"]
    assert new_key != old_key and kit.exists() and rotated["kit"] == str(kit)
    assert _titles(run, "A") == ["GitHub"]  # A unlocks with the new stored key
    result = run("B", "sync")
    assert result.returncode == 8, result.stderr
    assert "account key was replaced on another device" in result.stderr
    assert "safehold login EMAIL" in result.stderr
    assert run("B", "login", EMAIL, "--account-key", old_key).returncode == 3
    _ok(run("B", "login", EMAIL, "--account-key", new_key))
    assert _titles(run, "B") == ["GitHub", "offline on B"]  # kept, and synced
    _ok(run("A", "sync"))
    assert _titles(run, "A") == ["GitHub", "offline on B"]
    # Zero knowledge: neither key, the password nor item text reached the server.
    seen = server.dump_database() + server.log_text()
    for secret in (old_key, new_key, PASSWORD, "s3cret-item-value", "offline on B"):
        assert secret not in seen
        assert secret.replace("-", "") not in seen


def test_server_down(server: ServerHandle, device: Callable[[ServerHandle], Run]) -> None:
    run = device(server)
    _ok(run("A", "signup", EMAIL, "--json"))
    _ok(run("A", "add", "login", "--title", "Offline"))
    server.stop()
    assert run("A", "sync").returncode == 6
    assert _titles(run, "A") == ["Offline"]  # unlocking works offline
    assert run("B", "signup", "bob@example.com").returncode == 6
