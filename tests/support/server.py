"""Run the real server (``python -m safehold.server serve``) for a test.

    with run_server(tmp_path) as server:
        httpx.get(f"{server.base_url}/healthz")
        server.read_outbox()

SQLite by default (a file of its own); with a PostgreSQL ``database_url`` a fresh
database ``safehold_test_<random>`` is created for the run and dropped afterwards, so
parallel and consecutive runs never collide. ``reuse_database=True`` uses the URL as
given (a second process on the same database, or a restart after ``kill()``).

Mail goes to an outbox folder and is written before the HTTP answer
(``SAFEHOLD_MAIL_SYNC=1``), so ``read_outbox()`` right after a request sees its mail.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import make_url

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _admin_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_pg_database(url: str, template: str | None = None) -> str:
    """Create ``safehold_test_<random>`` next to ``url``'s database; return its URL.

    ``template`` (a database URL) clones that database: a migrated template makes a fresh
    database per test cost one file copy instead of a run of every migration."""
    import psycopg

    name = f"safehold_test_{secrets.token_hex(6)}"
    clause = ""
    if template is not None:
        clause = f' TEMPLATE "{make_url(template).database}"'
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{clause}')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    import psycopg

    parsed = make_url(url)
    name = parsed.database
    admin = parsed.set(database="postgres")
    with psycopg.connect(_admin_url(admin.render_as_string(hide_password=False)), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def dump_database(url: str) -> str:
    """Every row of every table, as text (for the zero-knowledge check)."""
    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        lines: list[str] = []
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                lines.append(f"== {table.name}")
                for row in conn.execute(select(table)):
                    lines.append(repr(tuple(row)))
        return "\n".join(lines)
    finally:
        engine.dispose()


def read_eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


@dataclass
class ServerHandle:
    base_url: str
    port: int
    data_dir: Path
    outbox_dir: Path
    log_path: Path
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    _stderr_path: Path = field(repr=False, default=Path())

    def read_outbox(self) -> list[EmailMessage]:
        """Every message written so far, oldest first."""
        if not self.outbox_dir.exists():
            return []
        return [read_eml(p) for p in sorted(self.outbox_dir.glob("*.eml"))]

    def wait_for_mail(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """For servers started with ``SAFEHOLD_MAIL_SYNC=0``: poll until ``count`` arrived."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.read_outbox()
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.05)

    def log_text(self) -> str:
        parts = [p.read_text(errors="replace") for p in (self.log_path, self._stderr_path) if p.exists()]
        return "\n".join(parts)

    def dump_database(self) -> str:
        return dump_database(self.database_url)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30.0, **kwargs)  # type: ignore[arg-type]

    def cli(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``safehold-server <args>`` with this server's settings."""
        return subprocess.run(
            [sys.executable, "-m", "safehold.server", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            timeout=60,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL, as in a crash: no shutdown code runs."""
        if self.alive:
            self.process.kill()
            self.process.wait()


def _wait_healthy(handle: ServerHandle) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if not handle.alive:
            raise RuntimeError(f"server exited with {handle.process.returncode}:\n{handle.log_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{handle.base_url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.05)
    handle.kill()
    raise RuntimeError(f"server did not become healthy in {STARTUP_TIMEOUT}s:\n{handle.log_text()}")


@contextlib.contextmanager
def run_server(
    tmp_path: Path,
    *,
    database_url: str | None = None,
    smtp_port: int | None = None,
    extra_env: dict[str, str] | None = None,
    reuse_database: bool = False,
    data_dir: Path | None = None,
) -> Iterator[ServerHandle]:
    """Start ``safehold-server serve`` on a free port; stop it (and drop a database it
    created) on exit. ``smtp_port`` sends mail by plain SMTP to 127.0.0.1 instead of the
    outbox. ``data_dir`` reuses a previous run's folder (same outbox, SQLite file, secret)."""
    if data_dir is None:
        data_dir = tmp_path / f"server-{secrets.token_hex(4)}"
    data_dir.mkdir(parents=True, exist_ok=True)
    created_db: str | None = None
    if database_url is None:
        url = f"sqlite:///{data_dir / 'safehold.db'}"
    elif database_url.startswith("postgresql") and not reuse_database:
        url = created_db = create_pg_database(database_url)
    else:
        url = database_url
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    outbox = data_dir / "outbox"
    log_path = data_dir / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFEHOLD_")}
    env.update(
        {
            "SAFEHOLD_DATA_DIR": str(data_dir),
            "SAFEHOLD_DATABASE_URL": url,
            "SAFEHOLD_BASE_URL": base_url,
            "SAFEHOLD_MAIL_OUTBOX": str(outbox),
            "SAFEHOLD_LOG_FILE": str(log_path),
            "SAFEHOLD_MAIL_SYNC": "1",
            # reset_body() posts cheap keys; a test of the real minimum passes extra_env.
            "SAFEHOLD_MIN_KDF_PARAMS": '{"t": 1, "m_kib": 8, "p": 1}',
            # Tests sign up many accounts from 127.0.0.1; test_enumeration.py checks the limit.
            "SAFEHOLD_SIGNUP_LIMIT_PER_CLIENT": "1000000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if smtp_port is not None:
        env.update(
            {
                "SAFEHOLD_SMTP_HOST": "127.0.0.1",
                "SAFEHOLD_SMTP_PORT": str(smtp_port),
                "SAFEHOLD_SMTP_SECURITY": "none",
                "SAFEHOLD_SMTP_FROM": "Safehold <safehold@example.test>",
            }
        )
    env.update(extra_env or {})
    stderr_path = data_dir / f"stderr-{port}.txt"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "safehold.server", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=stderr,
            stderr=stderr,
        )
    handle = ServerHandle(
        base_url=base_url,
        port=port,
        data_dir=data_dir,
        outbox_dir=outbox,
        log_path=log_path,
        database_url=url,
        env=env,
        process=process,
        _stderr_path=stderr_path,
    )
    try:
        _wait_healthy(handle)
        yield handle
    finally:
        handle.stop()
        if created_db is not None:
            drop_pg_database(created_db)
