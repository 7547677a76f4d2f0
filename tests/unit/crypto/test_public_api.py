from __future__ import annotations

import safehold.crypto as crypto


def test_exported_names_are_exactly_all() -> None:
    public = {name for name in vars(crypto) if not name.startswith("_")}
    assert public == set(crypto.__all__)


def test_errors_form_one_tree() -> None:
    for name in [
        "TamperedData",
        "AccountKeyTypo",
        "AccountKeyFormat",
        "KdfParamsRejected",
        "SrpError",
        "KitError",
    ]:
        assert issubclass(getattr(crypto, name), crypto.CryptoError)
