"""Account passwords for tests: strong enough for the password policy (zxcvbn score >= 2),
which ``signup`` and ``change-password`` apply. Unlock and login never apply it."""

PASSWORD = "violet lantern harbour 47"
NEW_PASSWORD = "copper meadow quietly 83"
THIRD_PASSWORD = "saffron glacier tumbles 19"
