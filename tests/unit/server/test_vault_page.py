"""GET /vault: the web vault's page, through the pages renderer with the strict CSP, holding
no account data, loading only this server's module scripts, and every vendored file it
needs served with the static security headers."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi.testclient import TestClient

from safehold.server.routes import pages

STATIC = Path(pages.__file__).resolve().parents[2] / "static"


def test_the_vault_page_has_the_strict_policy(api: TestClient) -> None:
    answer = api.get("/vault")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert policy == pages.CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in policy and "'unsafe-eval'" not in policy
    assert "script-src 'self' 'wasm-unsafe-eval'" in policy
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_vault_page_has_no_inline_script_or_style(api: TestClient) -> None:
    page = api.get("/vault").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "style=" not in page and "<style" not in page
    assert re.search(r"\son[a-z]+=", page) is None


def test_every_vault_module_is_served_with_the_static_headers(api: TestClient) -> None:
    modules = sorted((STATIC / "js" / "vault").glob("*.js"))
    assert {m.name for m in modules} >= {"api.js", "items.js", "merge.js", "sync.js", "app.js"}
    for module in modules:
        answer = api.get(f"/static/js/vault/{module.name}")
        assert answer.status_code == 200, module.name
        assert "javascript" in answer.headers["content-type"]
        assert answer.headers["x-content-type-options"] == "nosniff"
    for vendored in ("jsqr/jsQR.js", "pdfjs/pdf.min.js", "pdfjs/pdf.worker.min.js"):
        assert api.get(f"/static/vendor/{vendored}").status_code == 200


def test_the_vault_code_never_touches_storage_cookies_or_html_sinks() -> None:
    """Nothing lasts in the browser, and vault values are never parsed as HTML."""
    forbidden = re.compile(
        r"localStorage|sessionStorage|indexedDB|document\.cookie|innerHTML|outerHTML|insertAdjacentHTML"
        r"|document\.write|\beval\(|new Function|history\.(push|replace)State|location\.hash\s*="
    )
    for module in (STATIC / "js" / "vault").glob("*.js"):
        hits = forbidden.findall(module.read_text())
        assert not hits, f"{module.name}: {hits}"


def test_vendored_files_match_their_recorded_checksums() -> None:
    """Every file in static/vendor/README.md's table is there, unchanged, with its licence."""
    vendor = STATIC / "vendor"
    table = (vendor / "README.md").read_text()
    rows = re.findall(
        r"^\| [^|]+ \| [^|]+ \| `([^`]+)`[^|]* \| [^|]*`([^`]+)` \| `([0-9a-f]{64})` \|$", table, re.M
    )
    assert len(rows) >= 6, "the table lists every vendored file"
    for path, licence, digest in rows:
        assert hashlib.sha256((vendor / path).read_bytes()).hexdigest() == digest, path
        assert (vendor / licence).is_file(), licence
