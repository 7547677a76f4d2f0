"""GET / shows a small page naming the product and linking the docs and /reset, through the
pages renderer with its security headers, not raw JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_home_page_is_html_with_the_pages_headers(api: TestClient) -> None:
    answer = api.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == api.get("/reset").headers["content-security-policy"]
    assert answer.headers["cache-control"] == "no-store"
    page = answer.text
    assert "<h1>Safehold</h1>" in page and 'href="/reset"' in page and "docs/cli.md" in page
    assert "safehold --server http" in page and "--account-key" not in page
    assert "<script" not in page
