"""spec/vectors/protocol-v1.json: every vector passes, and the file is what the script makes."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.unit.crypto._vectors import load

from safehold.crypto import (
    DEFAULT_PARAMS,
    GROUP_3072,
    AccountKey,
    AccountKeyFormat,
    AccountKeyTypo,
    EncodingError,
    KdfParams,
    KdfPolicy,
    KitPayload,
    SrpClient,
    SrpServer,
    TamperedData,
    VaultCipher,
    b64decode,
    b64encode,
    canonical_json,
    derive_keys,
    hex_to_int,
    int_to_hex,
    keyset_ad,
    open_,
    open_keyset,
    seal,
    verifier,
)

V = load("protocol-v1.json")
CHEAP = KdfPolicy(floor=KdfParams(t=1, m_kib=8, p=1))


def h(value: str) -> bytes:
    return bytes.fromhex(value)


@pytest.mark.parametrize("case", V["derivations"], ids=lambda c: c["name"])
def test_derivation(case: dict[str, Any]) -> None:
    dk = derive_keys(
        email=case["email"],
        password=case["password"],
        account_key_secret=h(case["account_key_secret"]),
        account_id=h(case["account_id"]),
        kdf_salt=h(case["kdf_salt"]),
        params=KdfParams(case["t"], case["m_kib"], case["p"]),
        policy=CHEAP,
    )
    assert dk.argon2_salt.hex() == case["argon2_salt"]
    assert dk.kp.hex() == case["kp"]
    assert dk.ka.hex() == case["ka"]
    assert dk.auk.hex() == case["auk"]
    assert format(dk.srp_x, "x") == case["srp_x"]
    assert format(verifier(dk.srp_x), "x") == case["srp_v"]
    assert AccountKey(h(case["account_key_secret"])).to_text() == case["account_key_text"]


def test_vectors_cover_what_the_spec_promises() -> None:
    """Issue 2 §3 / spec §10: at least three derivations, one with a non-ASCII email and
    password, one at the default Argon2id cost, the others cheap; handshakes with every
    intermediate value."""
    derivations = V["derivations"]
    assert len(derivations) >= 3
    assert len({c["name"] for c in derivations}) == len(derivations)
    costs = [(c["t"], c["m_kib"], c["p"]) for c in derivations]
    assert (DEFAULT_PARAMS.t, DEFAULT_PARAMS.m_kib, DEFAULT_PARAMS.p) in costs
    assert any(not c["email"].isascii() and not c["password"].isascii() for c in derivations)
    # Non-ASCII text must actually change under normalisation, or it would test nothing.
    assert any(c["email_normalized"] != c["email"] for c in derivations)
    assert sum(m_kib < DEFAULT_PARAMS.m_kib for _, m_kib, _ in costs) >= 2  # "the others cheap"
    fields = {"email", "password", "account_id", "account_key_secret", "account_key_text", "kdf_salt", "t",
              "m_kib", "p", "argon2_salt", "kp", "ka", "auk", "srp_x", "srp_v"}  # fmt: skip
    assert all(fields <= set(c) for c in derivations)
    assert V["srp"]
    srp_fields = {"email", "kdf_salt", "srp_x", "srp_v", "a", "b", "A", "B", "u", "S", "K", "M1", "M2"}
    assert all(srp_fields <= set(c) for c in V["srp"])
    assert any(not c["email"].isascii() for c in V["srp"])
    assert len(V["envelope_failures"]) == 7
    assert any("+" in k["email"] for k in V["kits"])


@pytest.mark.parametrize("case", V["srp"], ids=lambda c: c["name"])
def test_srp_handshake(case: dict[str, Any]) -> None:
    salt = h(case["kdf_salt"])
    x = int(case["srp_x"], 16)
    client = SrpClient(email=case["email"], salt=salt, x=x, a=int(case["a"], 16))
    server = SrpServer(email=case["email"], salt=salt, v=int(case["srp_v"], 16), b=int(case["b"], 16))
    assert format(client.A, "x") == case["A"]
    assert format(server.B, "x") == case["B"]
    # u is computed independently here, from the spec's formula, not read back from our code.
    u = hashlib.sha256(GROUP_3072.pad(int(case["A"], 16)) + GROUP_3072.pad(int(case["B"], 16))).digest()
    assert format(int.from_bytes(u, "big"), "x") == case["u"]
    m1 = client.process_challenge(server.B)
    assert m1.hex() == case["M1"]
    assert client.K.hex() == case["K"]
    assert format(server.premaster(client.A), "x") == case["S"]
    m2 = server.verify_client(client.A, m1)
    assert m2.hex() == case["M2"]
    client.verify_server(m2)


@pytest.mark.parametrize("case", V["envelopes"], ids=lambda c: c["name"])
def test_envelope(case: dict[str, Any]) -> None:
    key, ad = h(case["key"]), case["ad"].encode()
    env = seal(key, h(case["plaintext"]), ad, nonce=h(case["nonce"]))
    assert env.hex() == case["envelope"]
    assert open_(key, env, ad) == h(case["plaintext"])


@pytest.mark.parametrize("case", V["envelope_failures"], ids=lambda c: c["name"])
def test_envelope_failure(case: dict[str, Any]) -> None:
    with pytest.raises(TamperedData):
        open_(h(case["key"]), h(case["envelope"]), case["ad"].encode())


@pytest.mark.parametrize("case", V["keysets"], ids=lambda c: str(c["generation"]))
def test_keyset(case: dict[str, Any]) -> None:
    account_id = h(case["account_id"])
    ad = keyset_ad(account_id, case["generation"])
    assert ad.decode() == case["ad"]
    assert seal(h(case["auk"]), h(case["vk"]), ad, nonce=h(case["nonce"])).hex() == case["keyset"]
    assert open_keyset(h(case["auk"]), h(case["keyset"]), account_id, case["generation"]) == h(case["vk"])
    with pytest.raises(TamperedData):
        open_keyset(h(case["auk"]), h(case["keyset"]), account_id, case["generation"] + 1)


@pytest.mark.parametrize("case", V["items"])
def test_item(case: dict[str, Any]) -> None:
    assert canonical_json(case["item"]).decode() == case["canonical_json"]
    cipher = VaultCipher(h(case["vk"]), h(case["account_id"]), case["generation"])
    assert cipher.open_item(h(case["item_id"]), h(case["envelope"])) == case["item"]
    ad = case["ad"].encode()
    assert (
        seal(h(case["vk"]), case["canonical_json"].encode(), ad, nonce=h(case["nonce"])).hex()
        == case["envelope"]
    )


@pytest.mark.parametrize("case", V["account_keys"], ids=lambda c: c["text"])
def test_account_key_text(case: dict[str, Any]) -> None:
    assert AccountKey(h(case["secret"])).to_text() == case["text"]
    assert AccountKey.parse(case["text"]).secret == h(case["secret"])


@pytest.mark.parametrize("case", V["account_key_parse_ok"], ids=lambda c: c["input"])
def test_account_key_readings(case: dict[str, Any]) -> None:
    assert AccountKey.parse(case["input"]).secret == h(case["secret"])


@pytest.mark.parametrize("case", V["account_key_parse_fail"], ids=lambda c: c["input"])
def test_account_key_rejections(case: dict[str, Any]) -> None:
    expected = AccountKeyTypo if case["expect"] == "typo" else AccountKeyFormat
    with pytest.raises(expected):
        AccountKey.parse(case["input"])


@pytest.mark.parametrize("case", V["kits"])
def test_kit_uri(case: dict[str, Any]) -> None:
    payload = KitPayload.from_uri(case["uri"])
    assert (payload.server, payload.email, payload.account_key.to_text(), payload.folder) == (
        case["server"],
        case["email"],
        case["key"],
        case["folder"],
    )
    assert payload.to_uri() == case["uri"]


@pytest.mark.parametrize("case", V["encodings"]["b64url"], ids=lambda c: c["text"] or "empty")
def test_b64url(case: dict[str, str]) -> None:
    assert b64encode(h(case["bytes"])) == case["text"]
    assert b64decode(case["text"]) == h(case["bytes"])


@pytest.mark.parametrize("case", V["encodings"]["b64url_reject"], ids=lambda c: c["why"])
def test_b64url_rejections(case: dict[str, str]) -> None:
    with pytest.raises(EncodingError):
        b64decode(case["text"])


@pytest.mark.parametrize("case", V["encodings"]["hex_int"], ids=lambda c: c["text"])
def test_hex_int(case: dict[str, str]) -> None:
    assert int_to_hex(int(case["int_decimal"])) == case["text"]
    assert hex_to_int(case["text"]) == int(case["int_decimal"])


@pytest.mark.parametrize("case", V["encodings"]["hex_int_reject"], ids=lambda c: c["why"])
def test_hex_int_rejections(case: dict[str, str]) -> None:
    with pytest.raises(EncodingError):
        hex_to_int(case["text"])


def test_committed_file_is_what_the_script_generates() -> None:
    script = Path(__file__).resolve().parents[3] / "scripts" / "make_vectors.py"
    spec = importlib.util.spec_from_file_location("make_vectors", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_vectors"] = module
    spec.loader.exec_module(module)
    assert module.render() == module.OUT.read_text(encoding="utf-8")
    assert module.render(v2=True) == module.OUT_V2.read_text(encoding="utf-8")
