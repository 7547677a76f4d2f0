"""A process on a pseudo-terminal, for the hidden prompts: what a person at a terminal sees
and types, without echo, read back as it appears."""

from __future__ import annotations

import os
import pty
import select
import time


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the pty is its controlling terminal and its stdio
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = b""
        self._seen = 0
        self.returncode: int | None = None

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    def expect(self, text: str, timeout: float = 60.0) -> str:
        """Wait until ``text`` appears after what earlier calls matched; what came before it."""
        wanted = text.encode()
        deadline = time.monotonic() + timeout
        while True:
            at = self.output.find(wanted, self._seen)
            if at >= 0:
                before = self.output[self._seen : at].decode(errors="replace")
                self._seen = at + len(wanted)
                return before
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{text!r} did not appear; the terminal shows:\n{self.text}")

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def wait(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while self._read(0.2) and time.monotonic() < deadline:
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")
