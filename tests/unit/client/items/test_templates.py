from __future__ import annotations

import pytest

from safehold.client.items import (
    FIELD_KINDS,
    TEMPLATES,
    FieldSpec,
    InvalidTemplate,
    Template,
    UnknownType,
    find_template,
    normalize_name,
)

EXPECTED_TYPES = [
    "Login",
    "Credit Card",
    "Bank Account",
    "Email Account",
    "Frequent Flyer",
    "Insurance",
    "Membership",
    "Calling Card",
    "Combination",
    "Secure Note",
    "Identity",
    "Passport",
    "Driver's Licence",
    "Software Licence",
    "Wi-Fi",
    "Social Security Number",
    "Server",
]


def keys(name: str) -> list[str]:
    return [f.key for f in find_template(name).fields]


def test_every_msecure_type_is_built_in_in_order() -> None:
    assert [t.label for t in TEMPLATES] == EXPECTED_TYPES
    assert all(t.builtin for t in TEMPLATES)


def test_field_order_follows_msecure() -> None:
    assert keys("login") == ["website", "username", "password", "one_time_password"]
    assert keys("credit card") == [
        "card_number",
        "expiration_date",
        "security_code",
        "name_on_card",
        "pin",
        "issuing_bank",
        "phone",
        "billing_address",
    ]
    assert keys("bank account") == [
        "account_number",
        "pin",
        "name",
        "branch",
        "routing_number",
        "account_type",
        "phone",
    ]
    assert keys("email account") == [
        "username",
        "password",
        "incoming_server",
        "incoming_port",
        "outgoing_server",
        "outgoing_port",
    ]


def test_templates_are_well_formed() -> None:
    seen_keys = set()
    for template in TEMPLATES:
        assert template.key not in seen_keys
        seen_keys.add(template.key)
        field_keys = [f.key for f in template.fields]
        assert len(field_keys) == len(set(field_keys)), template.key
        for spec in template.fields:
            assert spec.kind in FIELD_KINDS
        # Only the note has no fields of its own.
        assert template.fields or template.key == "secure_note"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("login", "login"),
        ("Login", "login"),
        ("LOGIN", "login"),
        ("credit-card", "credit_card"),
        ("Credit Card", "credit_card"),
        ("credit_card", "credit_card"),
        ("creditcard", "credit_card"),
        ("Driver's Licence", "drivers_licence"),
        ("drivers-license", "drivers_licence"),
        ("wifi", "wifi"),
        ("Wi-Fi", "wifi"),
        ("ssn", "social_security_number"),
        ("secure note", "secure_note"),
        ("software license", "software_licence"),
    ],
)
def test_find_template_accepts_every_spelling(name: str, key: str) -> None:
    assert find_template(name).key == key


def test_unknown_type_lists_the_choices() -> None:
    with pytest.raises(UnknownType) as info:
        find_template("spaceship")
    assert "Credit Card" in str(info.value)
    assert "spaceship" in str(info.value)


def test_password_fields_are_the_hidden_password_ones() -> None:
    login = find_template("login")
    assert [f.key for f in login.fields if f.is_password] == ["password"]
    card = find_template("credit card")
    assert not any(f.is_password for f in card.fields)  # PIN and CVV are hidden, not passwords
    server = find_template("server")
    assert [f.key for f in server.fields if f.is_password] == ["password", "admin_password"]


def test_field_lookup_by_key_or_label_ignores_case_and_separators() -> None:
    login = find_template("login")
    for name in ("one_time_password", "One-Time Password", "one time password", "ONE-TIME-PASSWORD"):
        spec = login.field(name)
        assert spec is not None and spec.key == "one_time_password"
    assert login.field("colour") is None


def test_custom_template_json_round_trip_and_lookup() -> None:
    pets = Template.custom("Pet Insurance", [("Pet name", "text"), ("Policy PIN", "hidden")])
    assert pets.key == "pet_insurance"
    assert pets.fields == (
        FieldSpec("pet_name", "Pet name", "text"),
        FieldSpec("policy_pin", "Policy PIN", "hidden"),
    )
    again = Template.from_json(pets.to_json())
    assert again == pets
    assert find_template("pet-insurance", [pets]) == pets
    assert find_template("Pet Insurance", [pets]) == pets
    # A built-in name wins over a user type that shadows it.
    shadow = Template.custom("Login", [("x", "text")])
    assert find_template("login", [shadow]).builtin


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"v": 2, "key": "a", "label": "A", "fields": []},
        {"v": 1, "key": "", "label": "A", "fields": []},
        {"v": 1, "key": "a", "label": " ", "fields": []},
        {"v": 1, "key": "a", "label": "A", "fields": {}},
        {"v": 1, "key": "a", "label": "A", "fields": ["x"]},
        {"v": 1, "key": "a", "label": "A", "fields": [{"key": "x", "label": "X", "kind": "colour"}]},
        {
            "v": 1,
            "key": "a",
            "label": "A",
            "fields": [
                {"key": "x", "label": "X", "kind": "text"},
                {"key": "y", "label": "x", "kind": "text"},
            ],
        },
    ],
)
def test_malformed_custom_templates_are_rejected(data: object) -> None:
    with pytest.raises(InvalidTemplate):
        Template.from_json(data)


def test_custom_template_needs_a_usable_name() -> None:
    with pytest.raises(InvalidTemplate):
        Template.custom("!!!", [])


def test_aliases_never_clash_and_resolve_to_their_field() -> None:
    for template in TEMPLATES:
        own = {normalize_name(n) for spec in template.fields for n in (spec.key, spec.label)}
        seen: set[str] = set()
        for spec in template.fields:
            for alias in spec.aliases:
                name = normalize_name(alias)
                assert name not in own, (template.key, alias)  # a key or label always wins
                assert name not in seen, (template.key, alias)  # one field per alias
                assert name not in ("title", "notes")  # those name the item itself
                seen.add(name)
                found = template.field(alias)
                assert found is not None and found.key == spec.key
                assert template.field(alias, aliases=False) is None


@pytest.mark.parametrize(
    ("type_name", "alias", "key"),
    [
        ("credit card", "number", "card_number"),
        ("credit card", "expiry", "expiration_date"),
        ("credit card", "CVV", "security_code"),
        ("credit card", "name", "name_on_card"),
        ("login", "url", "website"),
        ("login", "otp", "one_time_password"),
        ("login", "2FA", "one_time_password"),
        ("bank account", "routing", "routing_number"),
        ("passport", "dob", "date_of_birth"),
        ("wifi", "SSID", "network_name"),
        ("software licence", "serial number", "licence_key"),
        ("ssn", "ssn", "number"),
        ("bank account", "name", "name"),  # its own key, not an alias of another field
    ],
)
def test_common_aliases(type_name: str, alias: str, key: str) -> None:
    spec = find_template(type_name).field(alias)
    assert spec is not None and spec.key == key


def test_user_defined_types_have_no_aliases() -> None:
    template = Template.custom("Gym locker", [("Locker number", "text"), ("Code", "hidden")])
    assert all(spec.aliases == () for spec in template.fields)
    assert template.field("number") is None
    assert Template.from_json(template.to_json()) == template
