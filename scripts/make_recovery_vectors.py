"""Regenerate spec/vectors/recovery-v1.json (spec/protocol.md §9.2) from fixed inputs.

Provenance: every secret, id and nonce is SHA-256 of a label; every output is computed by
``safehold.crypto`` (HKDF and AES-GCM from pyca/cryptography), and each wrap is opened
again here before it is written. The browser's JavaScript (tests/js/recovery.test.mjs)
passes the same file.

    python scripts/make_recovery_vectors.py            # rewrite the file
    python scripts/make_recovery_vectors.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import vectorfile

from safehold.crypto import RecoveryCode, open_recovery, recovery_ad, recovery_keys, seal_recovery

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "recovery-v1.json"


def _h(label: str, n: int = 32) -> bytes:
    return hashlib.sha256(f"safehold recovery vector {label}".encode()).digest()[:n]


def code_cases() -> dict[str, Any]:
    secrets_ = [bytes(32), b"\xff" * 32, _h("code 1"), _h("code 2")]
    good = [{"secret": s.hex(), "text": RecoveryCode(s).to_text()} for s in secrets_]
    sample = good[2]["text"]
    body = sample[5:]
    readings = [
        sample.lower(),
        sample.replace("-", " "),
        sample.replace("-", ""),
        body,
        sample.replace("0", "O").replace("1", "I"),
        sample.replace("1", "l"),
        "\n".join(sample[i : i + 20] for i in range(0, len(sample), 20)),
    ]
    chars = list(body.replace("-", ""))
    swapped = chars.copy()
    i = next(j for j in range(len(chars) - 1) if chars[j] != chars[j + 1])
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    typo = chars.copy()
    typo[7] = "Z" if typo[7] != "Z" else "Y"
    check_typo = chars.copy()
    check_typo[-1] = "0" if check_typo[-1] != "0" else "1"
    too_big = "SHR1-" + "Z" * 56  # data ≥ 2^256
    fail = [
        {"input": "SHR1-" + "".join(typo), "expect": "typo", "why": "one data symbol changed"},
        {"input": "SHR1-" + "".join(swapped), "expect": "typo", "why": "two neighbours swapped"},
        {"input": "SHR1-" + "".join(check_typo), "expect": "typo", "why": "one check symbol changed"},
        {"input": too_big, "expect": "typo", "why": "a value of 2^256 or more"},
        {"input": sample[:-1], "expect": "format", "why": "one symbol short"},
        {"input": "SHR2-" + body, "expect": "format", "why": "unknown version"},
        {"input": sample[:-1] + "U", "expect": "format", "why": "U is not in the alphabet"},
        {"input": "SH1-0000-0000-0000-0000-0000-0000-0000", "expect": "format", "why": "an account key"},
        {"input": "", "expect": "format", "why": "empty"},
    ]
    return {
        "codes": good,
        "code_parse_ok": [{"input": r, "secret": good[2]["secret"]} for r in readings],
        "code_parse_fail": fail,
    }


def wrap_cases() -> dict[str, Any]:
    account_id = _h("account id", 16)
    vk = _h("vault key")
    rows = []
    for label, generation in (("code 1", 1), ("code 2", 3)):
        code = RecoveryCode(_h(label))
        keys = recovery_keys(code, account_id)
        nonce = _h(f"nonce {label}", 12)
        wrapped = seal_recovery(keys, vk, account_id, generation, nonce=nonce)
        assert open_recovery(keys, wrapped, account_id, generation) == vk
        rows.append(
            {
                "code_text": code.to_text(),
                "code_secret": code.secret.hex(),
                "account_id": account_id.hex(),
                "generation": generation,
                "rk": keys.rk.hex(),
                "ra": keys.ra.hex(),
                "auth_hash": keys.auth_hash.hex(),
                "ad": recovery_ad(account_id, generation).decode(),
                "vk": vk.hex(),
                "nonce": nonce.hex(),
                "wrapped": wrapped.hex(),
            }
        )
    base = rows[0]
    first = recovery_keys(RecoveryCode(_h("code 1")), account_id)
    short = seal_recovery(first, vk[:31], account_id, 1, nonce=_h("short nonce", 12))
    other = RecoveryCode(_h("code 2")).secret.hex()
    refuse = [
        {"why": "another generation", "code_secret": base["code_secret"], "account_id": base["account_id"],
         "generation": 2, "wrapped": base["wrapped"]},
        {"why": "another account", "code_secret": base["code_secret"], "account_id": "00" * 16,
         "generation": 1, "wrapped": base["wrapped"]},
        {"why": "another code", "code_secret": other, "account_id": base["account_id"],
         "generation": 1, "wrapped": base["wrapped"]},
        {"why": "one bit flipped", "code_secret": base["code_secret"], "account_id": base["account_id"],
         "generation": 1, "wrapped": base["wrapped"][:-2] + format(int(base["wrapped"][-2:], 16) ^ 1, "02x")},
        {"why": "not 32 bytes inside", "code_secret": base["code_secret"], "account_id": base["account_id"],
         "generation": 1,
         "wrapped": short.hex()},
    ]  # fmt: skip
    return {"wraps": rows, "wrap_refuse": refuse}


def render() -> str:
    data = {
        "about": (
            "Safehold recovery code vectors (spec/protocol.md §9.2). Generated by "
            "scripts/make_recovery_vectors.py from fixed inputs (SHA-256 of labels) with the "
            "Python implementation (pyca/cryptography); the browser's JavaScript passes the "
            "same file (tests/js/recovery.test.mjs). 'codes' are secrets and their one text "
            "form; 'code_parse_ok' readings must give 'secret'; 'code_parse_fail' must fail "
            "as 'typo' or 'format'. 'wraps' give rk, ra, auth_hash = SHA-256(ra) and the vault "
            "key sealed under rk with the fixed nonce; every 'wrap_refuse' must fail to open "
            "as tampered. Bytes are lowercase hex; 'ad' is UTF-8 text."
        ),
        **code_cases(),
        **wrap_cases(),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    raise SystemExit(
        vectorfile.run(OUT, render, description=__doc__.splitlines()[0], script="make_recovery_vectors.py")
    )
