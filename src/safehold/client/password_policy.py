"""The rule a new account password must meet, shared with the reset page (web/).

A password is acceptable when zxcvbn scores it at least :data:`MIN_SCORE` (0-4) with the
account's email and its local part as user inputs, so "ann@example.com" or "ann2024" for
ann@example.com count as guessable. An empty password is refused outright. The rule applies
where a password is *chosen* (``signup``, ``change-password``, the reset page), never where
one is typed to unlock: an existing password must keep working.

zxcvbn's cost grows with the length of what it scores, and the Python package refuses more
than 72 characters: only the first :data:`SCORED_CHARS` characters are scored (the reset
page does the same), which can only make a long password look weaker, never stronger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: "Somewhat guessable" (score 1) and below are refused; 2 is "safely unguessable" online.
MIN_SCORE = 2
SCORED_CHARS = 72


@dataclass(frozen=True)
class Verdict:
    ok: bool
    score: int
    warning: str = ""
    suggestions: list[str] = field(default_factory=list)

    def message(self) -> str:
        """Why a refused password was refused, for a person."""
        if self.ok:
            return "the password is acceptable"
        text = f"that password is too easy to guess (strength {self.score} of 4; {MIN_SCORE} is needed)"
        if self.warning:
            text += f": {self.warning.rstrip('.')}"
        return text

    def hint(self) -> str:
        tips = " ".join(s.rstrip(".") + "." for s in self.suggestions)
        return tips or "use a longer password, e.g. four or more random words (`safehold generate --words 5`)"


def zxcvbn(password: str, user_inputs: list[str]) -> dict[str, Any]:
    """zxcvbn's verdict on ``password``. Imported on first use: loading its word lists
    costs every command about 20 ms, and only a few commands score passwords."""
    from zxcvbn import zxcvbn as score

    result: dict[str, Any] = score(password, user_inputs=user_inputs)
    return result


def user_inputs(email: str) -> list[str]:
    """The words a guesser would try first for this account: the address and its local part."""
    address = email.strip()
    local = address.partition("@")[0]
    return [w for w in (address, local) if w]


def check(password: str, email: str) -> Verdict:
    """Score ``password`` for the account ``email``."""
    if not password:
        return Verdict(False, 0, "it is empty")
    result = zxcvbn(password[:SCORED_CHARS], user_inputs=user_inputs(email))
    feedback = result.get("feedback") or {}
    score = int(result["score"])
    return Verdict(
        ok=score >= MIN_SCORE,
        score=score,
        warning=str(feedback.get("warning") or ""),
        suggestions=[str(s) for s in feedback.get("suggestions") or []],
    )
