"""Write ``zxcvbn-scores.json``: Python zxcvbn's score for each password below, with the
account's email and its local part as user inputs (the reset rule, shared by the reset
page and the CLI). ``strength.test.mjs`` checks that the vendored JavaScript zxcvbn
agrees, and ``test_zxcvbn_fixture.py`` that the file still matches the Python package.

Run ``python tests/js/make_zxcvbn_fixture.py`` after changing the list.

Python's zxcvbn is 4.5.0, the vendored JavaScript 4.4.2: the list holds passwords that
both score alike and that sit clearly inside their score, not on a boundary.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zxcvbn import zxcvbn

FIXTURE = Path(__file__).resolve().parent / "zxcvbn-scores.json"
EMAIL = "ann.lee@example.com"

PASSWORDS = [
    # Refused: the audit's examples and their kind.
    "a" * 61,
    "passwordpassword",
    "iloveyouiloveyou",
    "1" * 68,
    EMAIL + EMAIL,
    "ann.lee@example.com",
    "annlee2024",
    "password1",
    "P@ssw0rd",
    "qwertyuiop",
    "123456789012",
    "abcdefghijkl",
    "monkey123",
    "dragon",
    "letmein!",
    "sunshine2020",
    "zxcvbnm123",
    "Summer2024!",
    # Accepted, from barely to very.
    "correct horse battery staple",
    "brand new correct horse battery",
    "old pass phrase for alice",
    "coffee-cup7",
    "mydogmax2019",
    "tram-yodel-quasar-fig",
    "v8Rk2pQz7wLm",
    "maple orbit 47 lantern",
    "Gr33n-T34pot-Sunday",
    "purple elephant dances",
    "xkq7 bzw2 ptm9",
    "correcthorsebatterystaple",
    "J4ck&Jill_went_up",
    "iNd1g0-w4ll-93",
    "the quick brown fox jumps over",
]


def scores() -> dict[str, Any]:
    local = EMAIL.split("@")[0]
    cases = []
    for password in PASSWORDS:
        assert len(password) <= 72, "both sides score at most 72 characters"
        result = zxcvbn(password, user_inputs=[EMAIL, local])
        cases.append({"password": password, "score": int(result["score"])})
    return {"email": EMAIL, "user_inputs": [EMAIL, local], "cases": cases}


if __name__ == "__main__":
    FIXTURE.write_text(json.dumps(scores(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {FIXTURE}")
