"""The web vault's JavaScript against the Python client: the same built-in templates, the
same word list, the same TOTP codes and the same search rules (the item and merge vectors
run in ``vault-items.test.mjs``, which ``test_node_vectors.py`` runs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from safehold.client.items.search import item_matches
from safehold.client.items.templates import TEMPLATES
from safehold.client.items.totp import totp_code

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "src" / "safehold" / "server" / "static"


def _node(script: str) -> object:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI for the browser tests")
        pytest.skip("node is not installed")
    result = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_the_browser_has_the_same_built_in_templates() -> None:
    js = _node(
        'import { TEMPLATES } from "./src/safehold/server/static/js/vault/templates.js";'
        "const rows = TEMPLATES.map((t) => [t.key, t.label, t.fields.map((f) => [f.key, f.label, f.kind])]);"
        "console.log(JSON.stringify(rows));"
    )
    py = [[t.key, t.label, [[f.key, f.label, f.kind] for f in t.fields]] for t in TEMPLATES]
    assert js == py


def test_the_served_word_list_is_the_clients() -> None:
    client = ROOT / "src" / "safehold" / "client" / "items" / "wordlists" / "eff_large.txt"
    assert (STATIC / "data" / "eff_large.txt").read_bytes() == client.read_bytes()


def test_totp_codes_agree() -> None:
    values = [
        "JBSWY3DPEHPK3PXP",
        "jbsw y3dp ehpk 3pxp",
        "otpauth://totp/Example:jo?secret=JBSWY3DPEHPK3PXP&issuer=Example&digits=8&algorithm=SHA256",
        "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA512&period=60",
    ]
    times = [59, 1111111109, 2000000000]
    js = _node(
        'import { totpCode } from "./src/safehold/server/static/js/vault/totp.js";'
        f"const values = {json.dumps(values)}; const times = {json.dumps(times)}; const out = [];"
        "for (const v of values) for (const t of times) out.push((await totpCode(v, t * 1000)).code);"
        "console.log(JSON.stringify(out));"
    )
    py = [totp_code(v, datetime.fromtimestamp(t, UTC)).code for v in values for t in times]
    assert js == py


def test_search_agrees() -> None:
    item = {
        "v": 1,
        "type": "login",
        "title": "Bank of Ünïcode",
        "notes": "blue door",
        "fields": {
            "username": "jo",
            "password": "hunter2",
            "website": "https://bank.example",
            "one_time_password": "JBSWY3DPEHPK3PXP",
            "stray_password": "zzz",
            "stray": "shown",
        },
        "custom": [
            {"name": "PIN", "kind": "hidden", "value": "4321"},
            {"name": "N", "kind": "url", "value": "qqq"},
        ],
        "tags": ["Work"],
        "favorite": False,
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "history": [{"field": "password", "value": "oldpw", "changed": "2024-01-01T00:00:00Z"}],
    }
    needles = [
        "bank",
        "ÜNÏ",
        "blue",
        "work",
        "jo",
        "hunter",
        "4321",
        "JBSW",
        "zzz",
        "shown",
        "qqq",
        "oldpw",
        "example",
        "",
    ]
    js = _node(
        'import * as I from "./src/safehold/server/static/js/vault/items.js";'
        f"const item = I.readItem({json.dumps(item)}); const needles = {json.dumps(needles)};"
        "console.log(JSON.stringify(needles.map((n) => I.itemMatches(item, n, I.itemTemplate(item)))));"
    )
    assert js == [item_matches(item, n) for n in needles]
