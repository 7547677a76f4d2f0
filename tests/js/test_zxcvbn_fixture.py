"""The checked-in ``zxcvbn-scores.json`` is what Python's zxcvbn says today, so the
JavaScript comparison (``strength.test.mjs``) compares against the real Python scores,
and an upgrade of either package that moves a score fails here or there."""

from __future__ import annotations

import json

from tests.js.make_zxcvbn_fixture import FIXTURE, scores


def test_fixture_matches_python_zxcvbn() -> None:
    stored = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert stored == scores(), "re-run python tests/js/make_zxcvbn_fixture.py and check the JS side"


def test_fixture_passwords_are_not_borderline() -> None:
    # zxcvbn's score steps from 1 to 2 (refused to accepted) at 10**6 guesses; a password
    # near that step could flip between the 4.4.2 and 4.5.0 builds, so none is near it.
    from zxcvbn import zxcvbn

    stored = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for case in stored["cases"]:
        log_guesses = float(zxcvbn(case["password"], user_inputs=stored["user_inputs"])["guesses_log10"])
        assert abs(log_guesses - 6) > 0.5, case["password"]
