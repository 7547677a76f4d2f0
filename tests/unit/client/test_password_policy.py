"""The new-password rule shared with the reset page: zxcvbn score >= 2, the email counted."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD, THIRD_PASSWORD

from safehold.client import password_policy
from safehold.client.password_policy import MIN_SCORE, check, user_inputs


def test_min_score_is_two() -> None:
    assert MIN_SCORE == 2


@pytest.mark.parametrize("weak", ["", "pw", "pw1", "password", "password123", "qwerty12", "letmein!"])
def test_weak_passwords_are_refused(weak: str) -> None:
    verdict = check(weak, "ann@example.com")
    assert not verdict.ok and verdict.score < MIN_SCORE
    assert "too easy to guess" in verdict.message()
    assert verdict.hint()


def test_the_email_counts_as_something_a_guesser_tries() -> None:
    # Strong-looking on its own, weak for this account because it is built from the address.
    assert (
        check("ann.smith.example", "bob@example.org").score
        > check("ann.smith.example", "ann.smith@example.com").score
    )
    assert not check("ann.smith@example.com", "ann.smith@example.com").ok
    assert user_inputs(" ann@example.com ") == ["ann@example.com", "ann"]


@pytest.mark.parametrize("strong", [PASSWORD, NEW_PASSWORD, THIRD_PASSWORD, "correct horse battery staple"])
def test_strong_passwords_pass(strong: str) -> None:
    verdict = check(strong, "ann@example.com")
    assert verdict.ok and verdict.score >= MIN_SCORE


def test_warning_and_suggestions_come_from_zxcvbn() -> None:
    verdict = check("password123", "ann@example.com")
    assert verdict.warning == "This is a very common password."
    assert "very common password" in verdict.message()


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300) | st.text(min_size=70, max_size=400))
def test_check_never_fails_and_agrees_with_its_score(password: str) -> None:
    verdict = check(password, "ann@example.com")
    assert 0 <= verdict.score <= 4
    assert verdict.ok == (bool(password) and verdict.score >= MIN_SCORE)


def test_only_a_prefix_is_scored(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = password_policy.zxcvbn

    def spy(password: str, user_inputs: list[str]) -> dict[str, object]:
        seen.append(password)
        return real(password, user_inputs=user_inputs)  # type: ignore[no-any-return]

    monkeypatch.setattr(password_policy, "zxcvbn", spy)
    check("x" * 10_000, "ann@example.com")
    assert seen == ["x" * password_policy.SCORED_CHARS]
