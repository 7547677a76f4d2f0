"""`safehold run` and `safehold inject`: secrets handed to programs without writing them in
shell history, scripts or config files (what `op run` and `op inject` are loved for).

References are ``safehold://ITEM/FIELD`` (items.references). All of them are resolved
before the command starts or the file is written: a typo is an error with nothing done.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from safehold.client.errors import CommandNotStarted, UsageError
from safehold.client.items.references import (
    SCHEME,
    Reference,
    parse_reference,
    render_template,
    template_references,
)
from safehold.client.resolve import resolve_references

from .options import FLAG, JsonOpt, StdinOpt
from .state import handles_errors, state


def _env_pairs(pairs: list[str]) -> list[tuple[str, Reference]]:
    out = []
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if (
            not sep
            or not name
            or not (name[0].isalpha() or name[0] == "_")
            or not name.replace("_", "a").isalnum()
        ):
            raise UsageError(f"--env takes NAME=safehold://ITEM/FIELD, not {pair!r}")
        out.append((name, parse_reference(value.strip())))
    return out


def run(
    command: Annotated[list[str], typer.Argument(metavar="-- COMMAND [ARGS]...", help="The command to run.")],
    env: Annotated[
        list[str] | None,
        typer.Option(
            "--env", "-e", metavar="NAME=safehold://ITEM/FIELD", help="Set NAME to a secret; repeatable."
        ),
    ] = None,
    no_inherit: Annotated[
        bool,
        typer.Option(
            "--no-inherit", metavar=FLAG, help="Do not resolve safehold:// values already in the environment."
        ),
    ] = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Run a command with secrets in its environment; exits with the command's exit code.

    Variables of the current environment whose value is a safehold:// reference are
    resolved too (unless --no-inherit). Nothing runs unless every reference resolves.

    Examples:
      safehold run --env GITHUB_TOKEN=safehold://GitHub/token -- gh repo list
      DB_PASSWORD=safehold://Postgres/password safehold run -- ./migrate.sh
    """
    st = state()
    wanted = _env_pairs(env or [])
    if not no_inherit:
        named = {name for name, _ in wanted}
        wanted += [(name, parse_reference(value)) for name, value in os.environ.items()
                   if value.startswith(SCHEME) and name not in named]  # fmt: skip
    if not command:
        raise UsageError("no command given: put it after --, e.g. safehold run --env X=safehold://A/b -- env")
    if not wanted:
        raise UsageError("no secret to pass: give --env NAME=safehold://ITEM/FIELD")
    with st.vault() as unlocked:
        values = resolve_references(unlocked.vault, [ref for _, ref in wanted])
    child_env = {**os.environ, **{name: values[ref] for name, ref in wanted}}
    child_env.pop("SAFEHOLD_PASSWORD", None)  # the vault's password is not the child's business
    try:
        # A child, not exec: the vault and agent connection are closed first, and the exit code
        # is passed on. Ctrl-C reaches the child too (same process group); we wait for it.
        child = subprocess.Popen(command, env=child_env)  # noqa: S603 - the person's own command
    except OSError as exc:
        raise CommandNotStarted(f"could not start {command[0]!r}: {exc.strerror or exc}") from None
    while True:
        try:
            code = child.wait()
            break
        except KeyboardInterrupt:
            continue
    raise typer.Exit(code if code >= 0 else 128 - code)


def inject(
    in_file: Annotated[
        str, typer.Option("--in-file", "-i", metavar="TEMPLATE", help="The template; - for stdin.")
    ] = "-",
    out_file: Annotated[
        Path | None,
        typer.Option("--out-file", "-o", metavar="FILE", help="Write here (mode 0600); default stdout."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", metavar=FLAG, help="Replace FILE if it exists.")] = False,
    json_out: JsonOpt = False,
    password_stdin: StdinOpt = False,
) -> None:
    """Fill {{ safehold://ITEM/FIELD }} references in a template with secrets.

    The output file is created readable by you only (0600), written whole or not at all.
    Nothing is written unless every reference resolves.

    Examples:
      safehold inject -i config.yml.tpl -o config.yml
      echo 'password: {{ safehold://Postgres/password }}' | safehold inject
    """
    st = state()
    if in_file == "-":
        if password_stdin:
            raise UsageError(
                "the template and the password cannot both come from standard input: use -i FILE"
            )
        template = sys.stdin.read()
    else:
        try:
            template = Path(in_file).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"no such template: {in_file}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"the template {in_file} cannot be read: {exc}") from None
    if out_file is not None and out_file.exists() and not force:
        raise UsageError(f"{out_file} exists: pass --force to replace it")
    refs = template_references(template)
    values: dict[Reference, str] = {}
    if refs:
        with st.vault() as unlocked:
            values = resolve_references(unlocked.vault, refs)
    text = render_template(template, values)
    if out_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    _write_private(out_file, text)
    if st.json:
        st.emit_json({"written": str(out_file), "references": len(refs)})
    else:
        st.err.print(f"Wrote {out_file} (0600) with {len(refs)} secret(s).", markup=False)


def _write_private(path: Path, text: str) -> None:
    """``text`` into ``path``, mode 0600 from the first byte, replacing it atomically."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


COMMANDS: dict[str, Callable[..., None]] = {"run": run, "inject": inject}


def register(app: typer.Typer) -> None:
    app.command("run", context_settings={"allow_interspersed_args": False})(handles_errors(run))
    app.command("inject")(handles_errors(inject))
