"""The hidden prompts, through a pseudo-terminal against a real server: a new secret asked
twice (and again when the two differ), the account key typed at `login` (and again after a
typo), and what was typed never echoed or put in the process's arguments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.support.terminal import Terminal
from tests.unit.client._passwords import PASSWORD

EMAIL = "ann@example.com"
ENTRY = "import sys; from safehold.cli.main import run; sys.exit(run())"


def _env(tmp_path: Path, server: ServerHandle, profile: str, **extra: str) -> dict[str, str]:
    return profile_env(home=tmp_path, profile=tmp_path / profile, server=server.base_url,
                       runtime=tmp_path / f"run-{profile}", device_name=profile, TERM="dumb",
                       **extra)  # fmt: skip


def _run(env: dict[str, str], *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", ENTRY, *args], env=env, capture_output=True, text=True,
                          timeout=120, input=input)  # fmt: skip


def _terminal(env: dict[str, str], *args: str) -> Terminal:
    return Terminal([sys.executable, "-c", ENTRY, *args], env)


def test_a_new_secret_is_asked_twice_at_a_hidden_prompt(server: ServerHandle, tmp_path: Path) -> None:
    env = _env(tmp_path, server, "a", SAFEHOLD_PASSWORD=PASSWORD)
    made = _run(env, "signup", EMAIL, "--json")
    assert made.returncode == 0, made.stderr
    term = _terminal(env, "add", "login", "--title", "GitHub", "-f", "username=ann", "-f", "password=?")
    term.expect("password: ")
    term.type("first-try")
    term.expect("password again: ")
    term.type("typo")
    term.expect("the two entries differ; type it again")
    term.expect("password: ")
    term.type("s3cret-typed")
    term.expect("password again: ")
    term.type("s3cret-typed")
    assert term.wait() == 0, term.text
    assert "Saved 'GitHub'" in term.text
    assert "s3cret-typed" not in term.text and "first-try" not in term.text  # no echo
    got = _run(env, "get", "GitHub", "--field", "password")
    assert got.stdout == "s3cret-typed\n", got.stderr

    # --prompt on edit: three mismatches give up with exit 2 and change nothing.
    term = _terminal(env, "edit", "GitHub", "--prompt", "password")
    for attempt in range(3):
        term.expect("password: ")
        term.type(f"a{attempt}")
        term.expect("password again: ")
        term.type(f"b{attempt}")
    assert term.wait() == 2, term.text
    assert "not entered the same way twice in 3 tries" in term.text
    assert _run(env, "get", "GitHub", "--field", "password").stdout == "s3cret-typed\n"

    # A hidden custom field asked for the same way.
    term = _terminal(env, "edit", "GitHub", "--custom", "Backup codes:hidden=?")
    term.expect("Backup codes: ")
    term.type("1 2 3")
    term.expect("Backup codes again: ")
    term.type("1 2 3")
    assert term.wait() == 0, term.text
    assert _run(env, "get", "GitHub", "--field", "Backup codes").stdout == "1 2 3\n"


def test_login_asks_for_the_account_key_without_key_or_kit(server: ServerHandle, tmp_path: Path) -> None:
    env_a = _env(tmp_path, server, "a", SAFEHOLD_PASSWORD=PASSWORD)
    made = _run(env_a, "signup", EMAIL, "--json")
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["account_key"]
    added = _run(env_a, "add", "login", "--title", "Wiki", "--field-stdin", "password", input="w\n")
    assert added.returncode == 0, added.stderr
    assert _run(env_a, "sync").returncode == 0

    env_b = _env(tmp_path, server, "b")
    # Without a terminal there is nothing to ask at: a clear usage error.
    piped = _run(env_b, "login", EMAIL, "--password-stdin", input=PASSWORD + "\n")
    assert piped.returncode == 2 and "--kit FILE" in piped.stderr, piped.stderr

    term = _terminal(env_b, "login", EMAIL)
    term.expect("Account key (SH1-")
    term.type("SH1-not-a-key")
    term.expect("type it again")
    term.expect("Account key (SH1-")
    term.type(key.lower().replace("-", " "))  # forgiving entry, as with --account-key
    term.expect("Password: ")
    term.type(PASSWORD)
    assert term.wait() == 0, term.text
    assert "Signed in" in term.text and key not in term.text and PASSWORD not in term.text
    got = _run({**env_b, "SAFEHOLD_PASSWORD": PASSWORD}, "get", "Wiki", "--field", "password")
    assert got.stdout == "w\n", got.stderr


def test_prompts_ask_again_and_unlock_knows_it_is_unlocked(server: ServerHandle, tmp_path: Path) -> None:
    env = _env(tmp_path, server, "a", SAFEHOLD_IDLE_TIMEOUT="600")
    # A weak password is refused before it is typed a second time; then a mistyped repeat.
    term = _terminal(env, "signup", EMAIL)
    term.expect("Choose an account password: ")
    term.type("password")
    before = term.expect("Choose an account password: ")
    assert "Repeat it" not in before and "too easy to guess" in before
    term.type(PASSWORD)
    term.expect("Repeat it: ")
    term.type(PASSWORD + "x")
    term.expect("The two passwords differ; choose it again.")
    term.expect("Choose an account password: ")
    term.type(PASSWORD)
    term.expect("Repeat it: ")
    term.type(PASSWORD)
    assert term.wait() == 0, term.text
    assert _run(env, "lock").returncode == 0

    # A wrong password at unlock is asked again, and the idle timeout is said in minutes.
    term = _terminal(env, "unlock")
    term.expect("Password: ")
    term.type("wrong one")
    term.expect("email or password incorrect; try again.")
    term.expect("Password: ")
    term.type(PASSWORD)
    assert term.wait() == 0, term.text
    assert "Locks again after 10 minutes without use" in term.text
    again = _terminal(env, "unlock")
    assert again.wait() == 0, again.text
    assert "Already unlocked" in again.text and "Password" not in again.text
    status = _run(env, "unlock", "--json")
    assert json.loads(status.stdout)["already"] is True, status.stderr
    assert _run(env, "lock").returncode == 0

    # Three wrong tries end with exit 3.
    term = _terminal(env, "unlock")
    for _ in range(3):
        term.expect("Password: ")
        term.type("wrong")
    assert term.wait() == 3, term.text
