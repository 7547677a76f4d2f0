from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safehold.client.items import (
    CUSTOM_KINDS,
    TEMPLATES,
    FieldNotFound,
    InvalidField,
    InvalidItem,
    InvalidOtp,
    Item,
    ItemError,
    Template,
    UnknownField,
    UnknownType,
)
from safehold.crypto import canonical_json

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)
SECRET = "JBSWY3DPEHPK3PXP"


def login() -> Item:
    item = Item.new("login", "Example", T0)
    item.set_field("website", "https://example.com", T0)
    item.set_field("username", "alice", T0)
    item.set_field("password", "first", T0)
    return item


# ----- JSON shape ----------------------------------------------------------------------------


def test_new_item_json_has_the_documented_shape() -> None:
    item = login()
    assert item.to_json() == {
        "v": 1,
        "type": "login",
        "title": "Example",
        "fields": {"website": "https://example.com", "username": "alice", "password": "first"},
        "custom": [],
        "tags": [],
        "favorite": False,
        "notes": "",
        "created": "2024-01-01T12:00:00Z",
        "modified": "2024-01-01T12:00:00Z",
        "history": [],
    }


def test_to_json_is_sealable_canonical_json() -> None:
    item = login()
    item.set_notes("zoë ✓", T1)
    encoded = canonical_json(item.to_json())
    assert Item.from_json(json.loads(encoded)) == item


def test_times_are_normalised_to_utc_and_keep_microseconds() -> None:
    at = datetime(2024, 3, 1, 9, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    item = Item.new("note", "n", at)
    assert item.to_json()["created"] == "2024-03-01T07:30:05.123456Z"
    assert Item.from_json(item.to_json()).created == at


def test_naive_times_are_refused() -> None:
    with pytest.raises(ItemError, match="timezone"):
        Item.new("login", "x", datetime(2024, 1, 1))


def test_new_resolves_any_spelling_and_unknown_types_fail() -> None:
    assert Item.new("Credit Card", "Visa", T0).type == "credit_card"
    with pytest.raises(UnknownType):
        Item.new("spaceship", "x", T0)


def test_unknown_type_and_fields_are_kept_not_dropped() -> None:
    data = login().to_json()
    data["type"] = "from_the_future"
    data["fields"]["hover_code"] = "123"
    data["colour"] = {"nested": [1, 2]}
    item = Item.from_json(data)
    assert item.to_json() == data
    assert item.get_field("hover code") == "123"
    assert ("password", "first", "hidden") in item.display_fields()


def test_stray_fields_of_a_known_type_are_shown_after_template_fields() -> None:
    data = login().to_json()
    data["fields"]["passkey_note"] = "hi"
    item = Item.from_json(data)
    assert item.display_fields()[-1] == ("passkey_note", "hi", "text")
    assert Item.from_json(item.to_json()) == item


# ----- set_field / history -------------------------------------------------------------------


def test_set_field_by_key_or_label_any_spelling() -> None:
    item = Item.new("credit card", "Visa", T0)
    item.set_field("Name on Card", "A", T1)
    item.set_field("name-on-card", "B", T1)
    item.set_field("NAME_ON_CARD", "C", T1)
    assert item.fields == {"name_on_card": "C"}
    assert item.get_field("name on card") == "C"
    assert item.modified == T1


def test_changing_a_password_keeps_the_old_one() -> None:
    item = login()
    item.set_field("Password", "second", T1)
    item.set_field("password", "third", T2)
    assert item.get_field("password") == "third"
    assert [(h.field, h.value, h.changed) for h in item.history] == [
        ("password", "first", T1),
        ("password", "second", T2),
    ]
    assert item.last_changed("password") == T2


def test_setting_the_same_value_changes_nothing() -> None:
    item = login()
    item.set_field("password", "first", T2)
    assert item.history == []
    assert item.modified == T0


def test_visible_fields_have_no_history() -> None:
    item = login()
    item.set_field("username", "bob", T1)
    assert item.history == []


def test_empty_value_clears_and_remembers_a_secret() -> None:
    item = login()
    item.set_field("password", "", T1)
    assert "password" not in item.fields
    assert item.get_field("password") == ""
    assert item.history[0].value == "first"


def test_unknown_name_adds_a_custom_field_then_updates_it() -> None:
    item = login()
    item.set_field("Recovery email", "r@example.com", T1)
    item.set_field("recovery-email", "s@example.com", T2)
    assert [(c.name, c.kind, c.value) for c in item.custom] == [("Recovery email", "text", "s@example.com")]
    item.set_field("Old Password", "hunter2", T1)
    assert item.custom[-1].kind == "hidden"
    item.set_field("old password", "hunter3", T2)
    assert item.history[-1].field == "Old Password"


def test_title_and_notes_are_addressable_as_fields() -> None:
    item = login()
    item.set_field("title", "Renamed", T1)
    item.set_field("Notes", "line1\nline2", T1)
    assert item.title == "Renamed"
    assert item.get_field("notes") == "line1\nline2"
    assert item.custom == []


def test_add_custom_validates_kind_and_duplicates() -> None:
    item = login()
    item.add_custom("Backup codes", "hidden", "a b c", T1)
    item.add_custom("Homepage", "url", "https://x", T1)
    item.add_custom("Authenticator", "totp", SECRET, T1)
    with pytest.raises(InvalidField):
        item.add_custom("Shoe size", "colour", "9", T1)
    with pytest.raises(InvalidField):
        item.add_custom("backup-codes", "text", "x", T1)
    with pytest.raises(InvalidField):
        item.add_custom("Username", "text", "x", T1)
    with pytest.raises(InvalidOtp):
        item.add_custom("Second OTP", "totp", "not base32!", T1)


def test_totp_fields_are_validated_when_set() -> None:
    item = login()
    with pytest.raises(InvalidOtp):
        item.set_field("one-time password", "0000 1111", T1)
    item.set_field("one-time password", SECRET, T1)
    assert item.otp_secret() == SECRET


def test_otp_secret_also_finds_a_custom_totp() -> None:
    item = Item.new("secure note", "n", T0)
    assert item.otp_secret() is None
    item.add_custom("2FA", "totp", f"otpauth://totp/x?secret={SECRET}", T1)
    assert item.otp_secret() == f"otpauth://totp/x?secret={SECRET}"


def test_get_field_lists_available_names() -> None:
    item = login()
    item.add_custom("Shoe size", "text", "9", T1)
    with pytest.raises(FieldNotFound) as info:
        item.get_field("colour")
    message = str(info.value)
    for name in ("Website", "Username", "Password", "Shoe size", "colour"):
        assert name in message


def test_display_fields_follow_template_order_then_custom() -> None:
    item = Item.new("login", "x", T0)
    item.add_custom("Zeta", "text", "z", T0)
    item.set_field("password", "p", T0)
    item.set_field("website", "w", T0)
    item.add_custom("Empty", "text", "", T0)
    assert item.display_fields() == [
        ("Website", "w", "url"),
        ("Password", "p", "hidden"),
        ("Zeta", "z", "text"),
    ]


def test_secret_fields_mark_passwords() -> None:
    item = Item.new("server", "box", T0)
    item.set_field("password", "a", T0)
    item.set_field("admin password", "b", T0)
    item.add_custom("Root PIN", "hidden", "1234", T0)
    item.add_custom("Wiki password", "hidden", "c", T0)
    got = [(s.key, s.is_password) for s in item.secret_fields()]
    assert got == [("password", True), ("admin_password", True), ("Root PIN", False), ("Wiki password", True)]


def test_remove_custom_keeps_hidden_values_in_history() -> None:
    item = login()
    item.add_custom("Old PIN", "hidden", "1111", T0)
    item.remove_custom("old pin", T1)
    assert item.custom == []
    assert item.history[-1].value == "1111"
    with pytest.raises(FieldNotFound):
        item.remove_custom("nothing", T1)


def test_tags_and_favorite() -> None:
    item = login()
    item.set_tags(["Work", " work ", "", "home"], T1)
    assert item.tags == ["Work", "home"]
    item.add_tag("travel", T1)
    item.remove_tag("WORK", T1)
    assert item.tags == ["home", "travel"]
    item.set_favorite(True, T2)
    assert item.favorite and item.modified == T2


def test_lone_surrogates_are_refused_at_the_door() -> None:
    item = login()
    with pytest.raises(InvalidField):
        item.set_field("password", "bad\udc80", T1)
    data = login().to_json()
    data["title"] = "\ud800"
    with pytest.raises(InvalidItem):
        Item.from_json(data)


def test_custom_template_items() -> None:
    pets = Template.custom("Pet", [("Chip number", "text"), ("Vet portal password", "hidden")])
    item = Item.new("pet", "Rex", T0, custom_templates=[pets])
    item.set_field("chip number", "985", T0)
    item.set_field("vet portal password", "pw", T0)
    assert item.fields == {"chip_number": "985", "vet_portal_password": "pw"}
    assert Item.from_json(item.to_json(), custom_templates=[pets]).template == pets
    assert [s.is_password for s in item.secret_fields()] == [True]


# ----- malformed JSON ------------------------------------------------------------------------

GOOD = login().to_json()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"v": 2}, "version"),
        ({"v": True}, "version"),
        ({"v": "1"}, "version"),
        ({"type": ""}, "type"),
        ({"type": 3}, "type"),
        ({"title": None}, "title"),
        ({"fields": []}, "fields"),
        ({"fields": {"a": 1}}, "a"),
        ({"custom": [{"name": "x", "kind": "colour", "value": "y"}]}, "kind"),
        ({"custom": [{"name": "", "kind": "text", "value": "y"}]}, "name"),
        ({"custom": ["x"]}, "custom field 0"),
        ({"tags": "work"}, "tags"),
        ({"tags": [1]}, "tag"),
        ({"favorite": "yes"}, "favorite"),
        ({"notes": None}, "notes"),
        ({"created": "yesterday"}, "ISO 8601"),
        ({"created": "2024-01-01T00:00:00"}, "timezone"),
        ({"modified": 5}, "modified"),
        ({"history": [{"field": "password", "value": "x"}]}, "changed"),
        ({"history": [{"field": 1, "value": "x", "changed": "2024-01-01T00:00:00Z"}]}, "field"),
    ],
)
def test_malformed_items_are_rejected_with_a_clear_message(change: dict[str, Any], message: str) -> None:
    data = {**GOOD, **change}
    with pytest.raises(InvalidItem, match=message):
        Item.from_json(data)


@pytest.mark.parametrize("data", [None, [], "item", 1, {"v": 1}])
def test_non_items_are_rejected(data: object) -> None:
    with pytest.raises(InvalidItem):
        Item.from_json(data)


# ----- properties ----------------------------------------------------------------------------

text = st.text(max_size=30)
times = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
json_leaf = st.none() | st.booleans() | st.integers() | text


@st.composite
def items(draw: st.DrawFn) -> Item:
    template = draw(st.sampled_from(TEMPLATES))
    item = Item.new(template.key, draw(text), draw(times))
    now = item.created
    for _ in range(draw(st.integers(0, 6))):
        now = now + timedelta(seconds=draw(st.integers(0, 10**8)))
        spec = draw(st.sampled_from(template.fields)) if template.fields else None
        if spec is not None and spec.kind != "totp" and draw(st.booleans()):
            item.set_field(spec.key, draw(text), now)
        elif draw(st.booleans()):
            name = draw(st.text(min_size=1, max_size=12))
            kind = draw(st.sampled_from([k for k in CUSTOM_KINDS if k != "totp"]))
            with contextlib.suppress(InvalidField):
                item.add_custom(name, kind, draw(text), now)
        else:
            item.set_tags(draw(st.lists(text, max_size=3)), now)
    item.set_favorite(draw(st.booleans()), now)
    item.set_notes(draw(text), now)
    return item


@settings(max_examples=200, deadline=None)
@given(items())
def test_json_round_trip(item: Item) -> None:
    data = item.to_json()
    assert Item.from_json(data) == item
    assert Item.from_json(json.loads(json.dumps(data))) == item


json_values = st.recursive(
    json_leaf, lambda inner: st.lists(inner) | st.dictionaries(text, inner), max_leaves=10
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(GOOD)), json_values))
def test_arbitrary_json_is_an_item_or_an_item_error(overrides: dict[str, Any]) -> None:
    try:
        item = Item.from_json({**GOOD, **overrides})
    except ItemError:
        return
    assert Item.from_json(item.to_json()) == item


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_is_an_item_or_an_item_error(value: object) -> None:
    with contextlib.suppress(ItemError):
        Item.from_json(value)


# ----- strict names, aliases and explicit custom fields --------------------------------------


def test_strict_set_field_refuses_an_unknown_name_and_lists_the_names() -> None:
    item = login()
    before = item.to_json()
    with pytest.raises(UnknownField) as info:
        item.set_field("pasword", "x", T1, strict=True)
    assert info.value.name == "pasword" and "Password" in info.value.available
    assert "Login" in str(info.value) and "Username" in str(info.value)
    assert item.to_json() == before  # nothing changed, not even the modified time
    assert isinstance(info.value, InvalidField)


def test_strict_set_field_accepts_keys_labels_aliases_customs_title_and_notes() -> None:
    item = Item.new("credit card", "Visa", T0)
    item.add_custom("Rewards", "text", "gold", T0)
    changes = [("number", "4111"), ("Expiry", "12/29"), ("security_code", "123"), ("Name on Card", "Ann"),
               ("rewards", "platinum"), ("notes", "n"), ("title", "V")]  # fmt: skip
    for name, value in changes:
        item.set_field(name, value, T1, strict=True)
    assert item.fields == {"card_number": "4111", "expiration_date": "12/29", "security_code": "123",
                           "name_on_card": "Ann"}  # fmt: skip
    assert (item.custom[0].value, item.notes, item.title) == ("platinum", "n", "V")


def test_a_custom_field_named_like_an_alias_stays_reachable() -> None:
    # Saved before aliases existed: `-f number=…` on a card made a custom field "number".
    old = Item.new("credit card", "Visa", T0).to_json()
    old["custom"] = [{"name": "number", "kind": "text", "value": "4111"}]
    item = Item.from_json(old)
    assert item.get_field("number") == "4111"
    item.set_field("number", "4222", T1, strict=True)
    assert item.custom[0].value == "4222" and "card_number" not in item.fields
    assert item.get_field("card number") == ""


def test_set_custom_creates_changes_kind_and_removes() -> None:
    item = login()
    item.set_custom("Backup codes", "hidden", "1 2 3", T1)
    item.set_custom("Portal", None, "https://p", T1)
    assert [(c.name, c.kind) for c in item.custom] == [("Backup codes", "hidden"), ("Portal", "text")]
    item.set_custom("portal", "url", "https://q", T2)
    assert (item.custom[1].kind, item.custom[1].value) == ("url", "https://q")
    item.set_custom("backup codes", "text", "4 5 6", T2)  # no longer secret: old value kept
    assert item.history[-1].field == "Backup codes" and item.history[-1].value == "1 2 3"
    item.set_custom("Backup codes", None, "", T2)
    assert [c.name for c in item.custom] == ["Portal"]
    item.set_custom("Nothing", None, "", T2)  # empty and absent: nothing to do
    assert [c.name for c in item.custom] == ["Portal"]
    with pytest.raises(InvalidField):
        item.set_custom("Username", "text", "x", T2)  # a template field: use set_field
    with pytest.raises(InvalidField):
        item.set_custom("X", "colour", "x", T2)
    with pytest.raises(InvalidOtp):
        item.set_custom("Portal", "totp", "not base32!", T2)
