"""No documented command puts a secret in its arguments: the docs, the README, the server's
pages and every command's own help show secrets typed at a prompt, piped in, generated or
read from a file, never as `--field password=…`, `--account-key SH1-…` or the like.

What counts as a secret value in a command line: a value given to a field whose name says
secret (password, PIN, CVV, token, card number, …) or to a hidden/totp custom field, and an
account key given with --account-key. `?` (ask) and an empty value (clear) are not secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer

from safehold.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "src/safehold/server/templates").rglob("*.html")),
    *sorted((ROOT / "src/safehold/server/static/js").glob("*.js")),
]
#: Field names (any case, spaces and dashes as underscores) whose values are secrets.
SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|pin|cvv|cvc|security_code|secret|token|otp|totp|2fa|api_key|"
    r"private_key|card_number|number|account_key|backup_codes?",
    re.IGNORECASE,
)
#: Words that make any field name secret.
SECRET_WORD = re.compile(r"pass(word|wd)|secret|token|private", re.IGNORECASE)
#: --field/-f NAME=VALUE, --custom/-c NAME[:KIND]=VALUE, the pair possibly quoted.
PAIR = re.compile(
    r"""(?:--field|-f|--custom|-c)[ =](?:"([^"=]+)=([^"]*)"|'([^'=]+)=([^']*)'|([^\s"'=]+)=(\S*))"""
)


def _is_secret_pair(name: str, value: str) -> bool:
    value = value.rstrip("`,.;)]")
    if value in ("", "?", "…"):
        return False
    label, _, kind = name.rpartition(":") if ":" in name else (name, "", "")
    if kind.strip().casefold() in ("hidden", "totp"):
        return True
    normal = label.strip().replace(" ", "_").replace("-", "_")
    return bool(SECRET_NAME.fullmatch(normal) or SECRET_WORD.search(normal))


def offending(line: str) -> list[str]:
    """The secrets a `safehold …` command line gives in its arguments."""
    found = []
    if re.search(r"--account-key[ =]+\S", line):
        found.append("--account-key with a key")
    for match in PAIR.findall(line):
        name, value = next((match[i], match[i + 1]) for i in (0, 2, 4) if match[i])
        if _is_secret_pair(name, value):
            found.append(f"{name}={value}")
    return found


def command_lines(text: str) -> Iterator[str]:
    """Every piece of text that shows a `safehold` command being run."""
    for line in text.splitlines():
        if "safehold " in line and re.search(r"(^|[\s`>|$(])safehold\s+[a-z-]", line):
            yield line.strip()


def test_the_checker_catches_what_it_must() -> None:
    bad = [
        "safehold add login --title X --field password=s3cret",
        "safehold add login --title X -f 'password=two words'",
        'safehold add "credit card" --title Visa -f number=4111111111111111 -f CVV=123',
        'safehold add login --title X --custom "Backup codes:hidden=1 2 3"',
        "safehold login ann@example.com --account-key SH1-ABCD-EFGH",
        "safehold edit GitHub -f PIN=1234",
    ]
    good = [
        "safehold add login --title X --field password=? -f username=ann -f url=https://x.example",
        "safehold add login --title X --prompt password --field-stdin pin --generate token",
        "safehold edit GitHub --field password=",
        'safehold add login --custom "Recovery email=ann@example.net"',
        "safehold login ann@example.com --kit kit.pdf",
        "`--account-key` puts it in your shell history",
    ]
    assert all(offending(line) for line in bad), [line for line in bad if not offending(line)]
    assert not any(offending(line) for line in good), [offending(line) for line in good]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_show_no_secret_in_arguments(path: Path) -> None:
    found = {line: offending(line) for line in command_lines(path.read_text(encoding="utf-8"))}
    assert not {line: bad for line, bad in found.items() if bad}


def _helps(command: object, path: str = "safehold") -> Iterator[tuple[str, str]]:
    yield path, str(getattr(command, "help", "") or "") + str(getattr(command, "epilog", "") or "")
    for name, sub in getattr(command, "commands", {}).items():
        yield from _helps(sub, f"{path} {name}")


def test_no_command_help_shows_a_secret_in_arguments() -> None:
    helps = dict(_helps(typer.main.get_command(app)))
    assert "safehold add" in helps and "safehold trash restore" in helps
    found = {(path, line): offending(line) for path, text in helps.items() for line in command_lines(text)}
    assert not {key: bad for key, bad in found.items() if bad}
