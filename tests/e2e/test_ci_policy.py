"""Under CI the browser tests fail, rather than skip, when Chromium or Playwright is missing."""

from __future__ import annotations

import pytest
from tests.e2e._browser import missing_browser


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true and no chromium"):
        missing_browser("no chromium")


@pytest.mark.parametrize("value", [None, "", "false"])
def test_missing_browser_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="no chromium"):
        missing_browser("no chromium")
