"""Two real processes write to one folder at once (one writer per file): a third device
then reads every write of both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.unit.client.transports._folder import Device, new_vault

WRITER = """
import sys
from pathlib import Path
from safehold.client.transport import Record, Write
from safehold.client.transports.folder import FolderTransport
path, device, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
t = FolderTransport(path, device, 1, compact_after=4)
for n in range(count):
    item = f"{device}{n:028x}"
    out = t.push([Write(Record(item, 1, device, n + 1, f"{device}:{n}".encode()), 0)])
    assert out[0].accepted, out
"""


@pytest.mark.slow
def test_two_processes_write_one_folder_at_once(tmp_path: Path) -> None:
    new_vault(tmp_path)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), dev, "60"], stderr=subprocess.PIPE)
        for dev in ("aa01", "bb02")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    got = Device(tmp_path, "cc03").pull_all()
    assert sorted(r.envelope for r in got) == sorted(
        f"{d}:{n}".encode() for d in ("aa01", "bb02") for n in range(60)
    )
