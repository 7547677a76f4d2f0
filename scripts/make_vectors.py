"""Regenerate spec/vectors/protocol-v1.json and protocol-v2.json from fixed inputs.

Every input is fixed (derived from a label by SHA-256, so nothing depends on a random
source) and every output is computed by ``safehold.crypto``. The file is committed; the
tests recompute it and fail on any difference, so a change to the protocol shows up as a
change to this file in review.

    python scripts/make_vectors.py            # rewrite the file
    python scripts/make_vectors.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from safehold.crypto import (
    AccountKey,
    EnvelopeKey,
    KdfParams,
    KdfPolicy,
    KitPayload,
    SrpClient,
    SrpServer,
    WriteCipher,
    WriteClaims,
    b64encode,
    canonical_json,
    derive_keys,
    email_bytes,
    item_ad,
    keyset_ad,
    pad,
    seal,
    verifier,
    write_ad,
)
from safehold.crypto import int_to_hex as ihex

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "protocol-v1.json"
OUT_V2 = OUT.with_name("protocol-v2.json")
CHEAP = KdfPolicy(floor=KdfParams(t=1, m_kib=8, p=1))


def fixed(label: str, n: int) -> bytes:
    """``n`` bytes fixed by ``label``: SHA-256 in counter mode."""
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"safehold-vectors|{label}|{counter}".encode()).digest()
        counter += 1
    return out[:n]


DERIVATION_INPUTS = [
    ("ascii-cheap", "alice@example.com", "correct horse battery staple", KdfParams(1, 64, 1)),
    # Email needs NFKC + trim + lower-case; the password has a precomposed "é" and "ﬁ"
    # ligature that NFKD decomposes, and an emoji.
    ("unicode-cheap", "  Jürgen.Müller@BÜCHER.example ", "Pässwörd é ﬁ 🔑 Ω", KdfParams(2, 256, 2)),
    ("ascii-default-cost", "bob@example.org", "hunter2 hunter2", KdfParams()),
]


def derivations() -> list[dict[str, Any]]:
    cases = []
    for label, email, password, params in DERIVATION_INPUTS:
        account_id = fixed(f"{label}/account_id", 16)
        key = AccountKey(fixed(f"{label}/account_key", 16))
        kdf_salt = fixed(f"{label}/kdf_salt", 16)
        dk = derive_keys(
            email=email,
            password=password,
            account_key_secret=key.secret,
            account_id=account_id,
            kdf_salt=kdf_salt,
            params=params,
            policy=CHEAP,
        )
        cases.append(
            {
                "name": label,
                "email": email,
                "email_normalized": email_bytes(email).decode(),
                "password": password,
                "account_id": account_id.hex(),
                "account_key_secret": key.secret.hex(),
                "account_key_text": key.to_text(),
                "kdf_salt": kdf_salt.hex(),
                "t": params.t,
                "m_kib": params.m_kib,
                "p": params.p,
                "argon2_salt": dk.argon2_salt.hex(),
                "kp": dk.kp.hex(),
                "ka": dk.ka.hex(),
                "auk": dk.auk.hex(),
                "srp_x": ihex(dk.srp_x),
                "srp_v": ihex(verifier(dk.srp_x)),
            }
        )
    return cases


def srp_cases(derived: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cases = []
    for d in derived[:2]:
        x = int(d["srp_x"], 16)
        salt = bytes.fromhex(d["kdf_salt"])
        a = int.from_bytes(fixed(f"{d['name']}/srp-a", 32), "big")
        b = int.from_bytes(fixed(f"{d['name']}/srp-b", 32), "big")
        client = SrpClient(email=d["email"], salt=salt, x=x, a=a)
        server = SrpServer(email=d["email"], salt=salt, v=verifier(x), b=b)
        m1 = client.process_challenge(server.B)
        m2 = server.verify_client(client.A, m1)
        client.verify_server(m2)
        u = server.group.H_int(server.group.pad(client.A), server.group.pad(server.B))
        cases.append(
            {
                "name": d["name"],
                "email": d["email"],
                "kdf_salt": d["kdf_salt"],
                "srp_x": d["srp_x"],
                "srp_v": d["srp_v"],
                "a": ihex(a),
                "b": ihex(b),
                "A": ihex(client.A),
                "B": ihex(server.B),
                "u": ihex(u),
                "S": ihex(server.premaster(client.A)),
                "K": client.K.hex(),
                "M1": m1.hex(),
                "M2": m2.hex(),
            }
        )
    return cases


def envelope_cases() -> list[dict[str, Any]]:
    item = {"title": "Bank 🏦", "type": "login", "fields": {"password": "s3cr3t", "username": "ø"}}
    inputs = [
        ("empty", b"", "safehold/v1/test|empty"),
        ("text", b"attack at dawn", "safehold/v1/test|text"),
        ("item-json", canonical_json(item), "safehold/v1/item|" + "00" * 16 + "|" + "11" * 16 + "|1"),
    ]
    cases = []
    for label, plaintext, ad in inputs:
        key = fixed(f"envelope/{label}/key", 32)
        nonce = fixed(f"envelope/{label}/nonce", 12)
        cases.append(
            {
                "name": label,
                "key": key.hex(),
                "nonce": nonce.hex(),
                "ad": ad,
                "plaintext": plaintext.hex(),
                "envelope": seal(key, plaintext, ad.encode(), nonce=nonce).hex(),
            }
        )
    return cases


def envelope_failures(good: dict[str, Any]) -> list[dict[str, Any]]:
    """Each vector has exactly one defect; every one must fail with the same opaque error."""
    env = bytes.fromhex(good["envelope"])
    key = good["key"]
    ad = good["ad"]
    flipped_tag = bytearray(env)
    flipped_tag[-1] ^= 0x01
    flipped_ct = bytearray(env)
    flipped_ct[14] ^= 0x80
    flipped_nonce = bytearray(env)
    flipped_nonce[1] ^= 0x01
    defects = [
        ("version-byte", bytes([0x02]) + env[1:], key, ad),
        ("truncated-below-minimum", env[:28], key, ad),
        ("tag-bit-flipped", bytes(flipped_tag), key, ad),
        ("ciphertext-bit-flipped", bytes(flipped_ct), key, ad),
        ("nonce-bit-flipped", bytes(flipped_nonce), key, ad),
        ("wrong-ad", env, key, ad + "x"),
        ("wrong-key", env, fixed("envelope/wrong-key", 32).hex(), ad),
    ]
    return [
        {"name": name, "key": k, "ad": a, "envelope": e.hex(), "expect": "tampered"}
        for name, e, k, a in defects
    ]


def keyset_cases(derived: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cases = []
    for generation in (1, 2):
        d = derived[0]
        auk = bytes.fromhex(d["auk"])
        account_id = bytes.fromhex(d["account_id"])
        vk = fixed(f"keyset/{generation}/vk", 32)
        nonce = fixed(f"keyset/{generation}/nonce", 12)
        ad = keyset_ad(account_id, generation)
        cases.append(
            {
                "auk": auk.hex(),
                "vk": vk.hex(),
                "account_id": account_id.hex(),
                "generation": generation,
                "ad": ad.decode(),
                "nonce": nonce.hex(),
                "keyset": seal(auk, vk, ad, nonce=nonce).hex(),
            }
        )
    return cases


def item_cases(derived: list[dict[str, Any]]) -> list[dict[str, Any]]:
    d = derived[1]
    account_id = bytes.fromhex(d["account_id"])
    item_id = fixed("item/id", 16)
    vk = fixed("item/vk", 32)
    nonce = fixed("item/nonce", 12)
    item = {
        "v": 1,
        "type": "login",
        "title": "Küche & Co — 🔐",
        "fields": {"website": "https://example.com/", "username": "jürgen", "password": "p\u00e4ss"},
        "tags": ["home", "b", "a"],
        "favorite": True,
    }
    ad = item_ad(account_id, item_id, 1)
    return [
        {
            "vk": vk.hex(),
            "account_id": account_id.hex(),
            "item_id": item_id.hex(),
            "generation": 1,
            "ad": ad.decode(),
            "item": item,
            "canonical_json": canonical_json(item).decode(),
            "nonce": nonce.hex(),
            "envelope": seal(vk, canonical_json(item), ad, nonce=nonce).hex(),
        }
    ]


def account_key_cases() -> dict[str, list[dict[str, Any]]]:
    secrets_ = [bytes(16), b"\xff" * 16, fixed("ak/1", 16), fixed("ak/2", 16)]
    good = [{"secret": s.hex(), "text": AccountKey(s).to_text()} for s in secrets_]
    sample = good[2]["text"]
    body = sample[4:]
    # Readings that must give the same secret: case, spacing, aliases, no prefix.
    readings = [
        sample.lower(),
        sample.replace("-", " "),
        sample.replace("-", ""),
        body,
        sample.replace("0", "O").replace("1", "I"),
        sample.replace("1", "l"),
    ]
    parse_ok = [{"input": r, "secret": good[2]["secret"]} for r in readings]
    chars = list(body.replace("-", ""))
    swapped = chars.copy()
    i = next(j for j in range(len(chars) - 1) if chars[j] != chars[j + 1])
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    typo = chars.copy()
    typo[5] = "Z" if typo[5] != "Z" else "Y"
    parse_fail = [
        {"input": "SH1-" + "".join(typo), "expect": "typo"},
        {"input": "SH1-" + "".join(swapped), "expect": "typo"},
        {"input": sample[:-1], "expect": "format"},
        {"input": "SH2-" + body, "expect": "format"},
        {"input": sample[:-1] + "U", "expect": "format"},
    ]
    return {"account_keys": good, "account_key_parse_ok": parse_ok, "account_key_parse_fail": parse_fail}


def kit_cases() -> list[dict[str, str]]:
    key = AccountKey(fixed("ak/1", 16))
    payloads = [
        KitPayload(server="https://vault.example.com:8420/", email="jürgen@example.com", account_key=key),
        # '+' is a literal plus in a URI (RFC 3986), written %2B; a form-style reader would
        # turn a raw one into a space and sign in as somebody else.
        KitPayload(
            server="https://vault.example.com/a+b?x=1&y=2", email="jo+vault@example.com", account_key=key
        ),
    ]
    # A folder vault's kit (spec §8): ``folder`` in place of ``server``, spaces and all.
    payloads.append(
        KitPayload(server="", email="ann@example.com", account_key=key, folder="/home/ann/Dropbox/My Vault+1")
    )
    return [
        {"server": p.server, "email": p.email, "key": key.to_text(), "uri": p.to_uri(), "folder": p.folder}
        for p in payloads
    ]


def encoding_cases() -> dict[str, Any]:
    """spec §1: the one text form of bytes and integers, and spellings a reader MUST refuse."""
    byte_inputs = [b"", b"\x00", b"\xfb\xff", b"\xff\xff\xfe", fixed("encoding/16", 16)]
    byte_inputs.append(fixed("encoding/29", 29))
    return {
        "b64url": [{"bytes": data.hex(), "text": b64encode(data)} for data in byte_inputs],
        "b64url_reject": [
            {"text": "AB", "why": "unused trailing bits not zero (AA is the only form of 00)"},
            {"text": "__9", "why": "unused trailing bits not zero"},
            {"text": "AA==", "why": "padding"},
            {"text": "+_8", "why": "'+' is standard base64, not base64url"},
            {"text": "/_8", "why": "'/' is standard base64, not base64url"},
            {"text": "AA AA", "why": "white space"},
            {"text": "AAAAA", "why": "no encoding has this length"},
        ],
        "hex_int": [{"int_decimal": str(n), "text": ihex(n)} for n in (0, 1, 255, 2**255 + 1)],
        "hex_int_reject": [
            {"text": text, "why": why}
            for text, why in [
                ("", "empty"),
                ("0ff", "leading zero"),
                ("FF", "upper case"),
                ("-1", "sign"),
                ("0x1f", "prefix"),
                ("1_000", "underscore"),
                (" 1f", "white space"),
            ]
        ],
    }


def build() -> dict[str, Any]:
    derived = derivations()
    envelopes = envelope_cases()
    return {
        "about": (
            "Safehold protocol v1 test vectors (spec/protocol.md). Generated by "
            "scripts/make_vectors.py from fixed inputs (SHA-256 of labels) with the Python "
            "implementation, and checked independently: the SRP code against RFC 5054 "
            "Appendix B (rfc5054-appendix-b.json), Argon2id against RFC 9106 §5.3, and the "
            "browser implementation (tests/js) against this file. Bytes and integers are "
            "lowercase hex; 'ad' is UTF-8 text. 'encodings' pins the one text form of bytes "
            "(base64url) and SRP integers (hex) and spellings a reader must refuse (spec §1)."
        ),
        "srp_group": "RFC 5054 3072-bit (RFC 3526 group 15), g=5, H=SHA-256",
        "derivations": derived,
        "srp": srp_cases(derived),
        "envelopes": envelopes,
        "envelope_failures": envelope_failures(envelopes[1]),
        "keysets": keyset_cases(derived),
        "items": item_cases(derived),
        **account_key_cases(),
        "kits": kit_cases(),
        "encodings": encoding_cases(),
    }


# --- protocol v2: the vault log (spec §11) -------------------------------------------------


def padding_cases() -> dict[str, Any]:
    sizes = [0, 1, 254, 255, 256, 1000, 4095, 65534, 65535, 65536, 200000]
    good = [{"plaintext_len": n, "padded_len": len(pad(bytes(n)))} for n in sizes]
    marker = pad(b"{}")
    refuse = [
        {"padded": (b"{}" + b"\x80" + bytes(252)).hex(), "why": "255 bytes: not a size class"},
        {"padded": (b"{}" + bytes(254)).hex(), "why": "no 0x80 marker"},
        {
            "padded": (b"{}\x80" + bytes(250) + b"\x01" + bytes(2)).hex(),
            "why": "non-zero byte after the marker",
        },
        {"padded": (b"{}" + b"\x80" + bytes(509)).hex(), "why": "over-padded: 2 bytes belong in 256"},
        {"padded": bytes(256).hex(), "why": "all zeros"},
    ]
    return {"padding": good, "padding_example": marker.hex(), "padding_refuse": refuse}


def write_cases() -> dict[str, Any]:
    account_id = fixed("v2/account", 16)
    vk = fixed("v2/vk", 32)
    device = fixed("v2/device", 16).hex()
    item_id = fixed("v2/item", 16).hex()
    other = fixed("v2/item2", 16).hex()
    cipher = WriteCipher(vk, account_id, 3)
    item = {"type": "login", "title": "Küche 🔐", "fields": {"password": "p\u00e4ss", "username": "jo"}}
    rows: list[tuple[str, WriteClaims, dict[str, Any] | None, str | None]] = [
        ("first write of a device", WriteClaims(item_id, 1, device, 1, False), item, None),
        ("an edit", WriteClaims(item_id, 2, device, 2, False), {**item, "title": "Küche 2"}, f"{item_id}.1"),
        ("a sealed tombstone", WriteClaims(item_id, 3, device, 7, True), None, f"{other}.4"),
    ]
    good = []
    for label, claims, value, prev in rows:
        nonce = fixed(f"v2/nonce/{label}", 12)
        ad = write_ad(
            account_id,
            bytes.fromhex(claims.item_id),
            3,
            claims.revision,
            claims.deleted,
            claims.device,
            claims.seq,
        )
        good.append(
            {
                "label": label,
                "claims": {
                    "item_id": claims.item_id,
                    "revision": claims.revision,
                    "device": claims.device,
                    "seq": claims.seq,
                    "deleted": claims.deleted,
                },
                "ad": ad.decode(),
                "value": value,
                "prev": prev,
                "plaintext": canonical_json({"prev": prev, "value": value}).decode(),
                "nonce": nonce.hex(),
                "envelope": cipher.seal(claims, value, prev, nonce=nonce).hex(),
            }
        )
    base = good[1]
    c = base["claims"]
    key = EnvelopeKey(vk)

    def sealed(plaintext: bytes, ad_claims: dict[str, Any]) -> str:
        ad = write_ad(
            account_id,
            bytes.fromhex(ad_claims["item_id"]),
            3,
            ad_claims["revision"],
            ad_claims["deleted"],
            ad_claims["device"],
            ad_claims["seq"],
        )
        return key.seal(plaintext, ad, nonce=fixed("v2/nonce/bad", 12)).hex()

    refuse = [
        {"why": "replayed as a later revision", "claims": {**c, "revision": 5}, "envelope": base["envelope"]},
        {
            "why": "claimed by another device",
            "claims": {**c, "device": "00" * 16},
            "envelope": base["envelope"],
        },
        {"why": "another sequence number", "claims": {**c, "seq": 3}, "envelope": base["envelope"]},
        {
            "why": "a live write claimed as a tombstone",
            "claims": {**c, "deleted": True},
            "envelope": base["envelope"],
        },
        {
            "why": "a tombstone sealing a value",
            "claims": {**c, "deleted": True},
            "envelope": sealed(pad(canonical_json({"prev": None, "value": item})), {**c, "deleted": True}),
        },
        {
            "why": "a live write sealing null",
            "claims": c,
            "envelope": sealed(pad(canonical_json({"prev": None, "value": None})), c),
        },
        {
            "why": "unpadded plaintext",
            "claims": c,
            "envelope": sealed(canonical_json({"prev": None, "value": item}), c),
        },
        {
            "why": "a v1 item body (no prev/value wrapper)",
            "claims": c,
            "envelope": sealed(pad(canonical_json(item)), c),
        },
        {
            "why": "a body that starts with a UTF-8 byte order mark",
            "claims": c,
            "envelope": sealed(pad(b"\xef\xbb\xbf" + canonical_json({"prev": None, "value": item})), c),
        },
        {
            "why": "a body that is not UTF-8",
            "claims": c,
            "envelope": sealed(pad(b'{"prev":null,"value":{"title":"\xff"}}'), c),
        },
        {
            "why": "two bodies in one",
            "claims": c,
            "envelope": sealed(pad(b'{"prev":null,"value":{}},{"prev":null,"value":{}}'), c),
        },
    ]
    return {
        "account_id": account_id.hex(),
        "generation": 3,
        "vk": vk.hex(),
        "writes": good,
        "write_refuse": refuse,
    }


def build_v2() -> dict[str, Any]:
    return {
        "about": (
            "Safehold protocol v2 item-write vectors (spec/protocol.md §11). Generated by "
            "scripts/make_vectors.py from fixed inputs (SHA-256 of labels). 'writes' must open "
            "to 'value' and 'prev' with exactly their claims and seal to 'envelope' with the "
            "given nonce; every 'write_refuse' must fail to open as tampered, and every "
            "'padding_refuse' must fail to unpad. Bytes are lowercase hex; 'ad' is UTF-8 text."
        ),
        **padding_cases(),
        **write_cases(),
    }


def render(v2: bool = False) -> str:
    return json.dumps(build_v2() if v2 else build(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed file differs")
    args = parser.parse_args()
    status = 0
    for out, text in ((OUT, render()), (OUT_V2, render(v2=True))):
        if args.check:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                print(f"{out} is out of date: run python scripts/make_vectors.py", file=sys.stderr)
                status = 1
            else:
                print(f"{out} is up to date")
        else:
            out.write_text(text, encoding="utf-8")
            print(f"wrote {out}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
