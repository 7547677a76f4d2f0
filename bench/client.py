"""Client figures, printed (not asserted): unlock to first listing, search, first full sync
and an incremental sync on a 10,000-item vault; and the same open-and-search on a KeePassXC
database of as many entries at the same Argon2 cost, if ``keepassxc-cli`` is installed.

    python bench/client.py            # 10,000 items, the default Argon2id cost (t=3, 64 MiB, p=4)
    python bench/client.py --quick    # 2,000 items, under a minute

Safehold runs against the real server in a subprocess (SQLite). KeePassXC's CLI cannot set
Argon2 parameters directly, so its database is made with the decryption time that Safehold's
key derivation takes here (``-t``): the same cost in wall-clock terms.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import run_server  # noqa: E402

from safehold.cli.item_cmds import _matches  # noqa: E402
from safehold.client.account import AccountService  # noqa: E402
from safehold.client.settings import ClientSettings  # noqa: E402
from safehold.crypto import DEFAULT_PARAMS, AccountKey, derive_keys  # noqa: E402

PASSWORD = "bench password 1"
EMAIL = "bench@example.com"


def _item(i: int) -> dict[str, Any]:
    return {"v": 1, "type": "login", "title": f"Site {i:05d}", "fields": {"username": f"user{i}",
            "password": f"pw-{i}-x", "url": f"https://site{i}.example.com"}, "custom": [], "tags": [],
            "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z", "history": []}  # fmt: skip


def _timed(label: str, func: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func()
    took = time.perf_counter() - start
    print(f"  {label:<44} {took * 1000:9.1f} ms")
    return took, value


def safehold_figures(tmp: Path, count: int) -> tuple[float, float]:
    print(f"Safehold, {count} items, Argon2id t={DEFAULT_PARAMS.t} m={DEFAULT_PARAMS.m_kib} KiB "
          f"p={DEFAULT_PARAMS.p}")  # fmt: skip
    with run_server(tmp) as server:

        def service(name: str) -> AccountService:
            settings = ClientSettings(home=tmp / name, server=server.base_url, keystore="file",
                                      device_name=name, runtime_dir=tmp / "run")  # fmt: skip
            return AccountService(settings)

        a, _key = service("a").signup(EMAIL, PASSWORD)
        key = _key
        vault = a.vault
        with a.store.transaction():
            for i in range(count):
                vault.put(_item(i))
        _timed("push of the whole vault (device A)", a.sync)
        b = service("b").login(EMAIL, PASSWORD, key)
        _timed("full first sync (device B)", b.sync)
        b.close()

        def unlock_and_list() -> int:
            unlocked = service("b").unlock(PASSWORD, online=False)
            items = unlocked.vault.all()
            unlocked.close()
            return len(items)

        open_time, listed = _timed("unlock to first listing (offline)", unlock_and_list)
        assert listed == count
        unlocked = service("b").unlock(PASSWORD, online=False)

        def search() -> int:
            return sum(1 for it in unlocked.vault.all() if _matches(it.data, "00042"))

        search_time, _ = _timed("search '00042' (decrypt all + filter)", search)
        for stored in a.vault.all()[:10]:
            a.vault.put({**stored.data, "notes": "changed"}, stored.item_id)
        a.sync()
        _timed("incremental sync of 10 changes (device B)", unlocked.sync)
        unlocked.close()
        a.close()
    return open_time, open_time + search_time


def derive_ms() -> float:
    start = time.perf_counter()
    derive_keys(email=EMAIL, password=PASSWORD, account_key_secret=AccountKey.generate().secret,
                account_id=b"\0" * 16, kdf_salt=b"\0" * 16, params=DEFAULT_PARAMS)  # fmt: skip
    return (time.perf_counter() - start) * 1000


def keepass_figures(tmp: Path, count: int, decrypt_ms: float) -> tuple[float, float] | None:
    cli = shutil.which("keepassxc-cli")
    if cli is None:
        print("KeePassXC: skipped (keepassxc-cli is not installed; apt-get install keepassxc)")
        return None
    print(f"KeePassXC {count} entries, decryption time {decrypt_ms:.0f} ms (same cost as above)")
    xml = tmp / "export.xml"
    entries = "".join(
        f"<Entry><UUID>{escape(_uuid(i))}</UUID>"
        f"<String><Key>Title</Key><Value>Site {i:05d}</Value></String>"
        f"<String><Key>UserName</Key><Value>user{i}</Value></String>"
        f"<String><Key>Password</Key><Value>pw-{i}-x</Value></String>"
        f"<String><Key>URL</Key><Value>https://site{i}.example.com</Value></String></Entry>"
        for i in range(count)
    )
    xml.write_text(
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?><KeePassFile><Meta>'
        "<DatabaseName>bench</DatabaseName></Meta><Root><Group><UUID>AAAAAAAAAAAAAAAAAAAAAA==</UUID>"
        f"<Name>Root</Name>{entries}</Group></Root></KeePassFile>"
    )
    db = tmp / "bench.kdbx"
    subprocess.run([cli, "import", "-p", "-t", str(int(decrypt_ms)), str(xml), str(db)],
                   input=f"{PASSWORD}\n{PASSWORD}\n", text=True, capture_output=True, check=True)  # fmt: skip

    def run(*args: str) -> str:
        return subprocess.run([cli, *args], input=PASSWORD + "\n", text=True, capture_output=True,
                              check=False).stdout  # fmt: skip

    open_time, _ = _timed("open to first listing (keepassxc-cli ls)", lambda: run("ls", "-q", str(db)))
    search_time, _ = _timed(
        "open and search (keepassxc-cli search)", lambda: run("search", "-q", str(db), "00042")
    )
    return open_time, search_time


def _uuid(i: int) -> str:
    import base64

    return base64.b64encode(i.to_bytes(16, "big")).decode()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2,000 items; under a minute")
    parser.add_argument("--items", type=int, default=None)
    args = parser.parse_args()
    count = args.items or (2_000 if args.quick else 10_000)
    with tempfile.TemporaryDirectory(prefix="safehold-bench-") as tmp_name:
        tmp = Path(tmp_name)
        decrypt = derive_ms()
        print(f"Argon2id key derivation here: {decrypt:.0f} ms")
        ours = safehold_figures(tmp, count)
        theirs = keepass_figures(tmp, count, decrypt)
    if theirs:
        print(f"ratio Safehold/KeePassXC: open to listing {ours[0] / theirs[0]:.2f}, "
              f"open and search {ours[1] / theirs[1]:.2f} (below 1 means Safehold is faster)")  # fmt: skip


if __name__ == "__main__":
    main()
