"""Search looks at titles, tags, notes and visible values, never at a hidden one."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from safehold.client.items import TEMPLATES, Item, Template, item_matches, searchable_values

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SECRET_KINDS = ("hidden", "totp")


def card() -> Item:
    item = Item.new("credit card", "Visa", T0)
    item.set_field("card number", "4111111111111111", T0)
    item.set_field("pin", "2468", T0)
    item.set_field("name on card", "Ann Smith", T0)
    item.set_field("password", "stray-secret", T0)  # no such field: a hidden custom one
    item.add_custom("Branch", "text", "Leeds", T0)
    item.add_custom("Recovery", "hidden", "8642", T0)
    item.add_custom("OTP", "totp", "JBSWY3DPEHPK3PXP", T0)
    item.set_tags(["travel"], T0)
    item.set_notes("kept in the blue wallet", T0)
    return item


def test_visible_texts_match_and_hidden_values_never_do() -> None:
    data = card().to_json()
    for needle in ("visa", "ANN", "leeds", "travel", "blue wallet"):
        assert item_matches(data, needle), needle
    for needle in ("4111", "2468", "8642", "JBSWY", "stray-secret"):
        assert not item_matches(data, needle), needle


def test_stored_fields_of_an_unknown_type_are_judged_by_name() -> None:
    data = {"v": 1, "type": "from_the_future", "title": "T",
            "fields": {"passcode": "1234", "colour": "red"}}  # fmt: skip
    assert item_matches(data, "red") and not item_matches(data, "1234")


def test_a_user_defined_types_hidden_fields_are_not_searched() -> None:
    locker = Template.custom("Gym locker", [("Number", "text"), ("Code", "hidden")])
    item = Item.new("gym locker", "Locker", T0, custom_templates=[locker])
    item.set_field("number", "12", T0)
    item.set_field("code", "9753", T0)
    data = item.to_json()
    templates = {locker.key: locker}
    assert item_matches(data, "12", templates) and not item_matches(data, "9753", templates)


def test_odd_json_does_not_break_search() -> None:
    odd = {"title": 5, "tags": "x", "fields": ["a"], "custom": [None, {"kind": "text"}, "z"]}
    assert item_matches(odd, "5") and not item_matches(odd, "z")


@given(
    template=st.sampled_from([t for t in TEMPLATES if t.fields]),
    secret=st.text(alphabet="0123456789#@!", min_size=4, max_size=12),
    kind=st.sampled_from(SECRET_KINDS),
)
def test_no_hidden_value_is_ever_searched(template: Template, secret: str, kind: str) -> None:
    item = Item.new(template.key, "Title", T0)
    for spec in template.fields:
        if spec.kind in SECRET_KINDS and spec.kind != "totp":
            item.set_field(spec.key, secret, T0)
    if kind == "hidden":
        item.add_custom("Mine", "hidden", secret, T0)
    texts = list(searchable_values(item.to_json(), template))
    assert not any(secret in text for text in texts)
    assert not item_matches(item.to_json(), secret)
