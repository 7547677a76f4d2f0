from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from safehold.client.items import Item, security_report

NOW = datetime(2025, 6, 1, tzinfo=UTC)
STRONG = "correct-horse-battery-staple-9!Qz"
STRONG2 = "vivid-ostrich-lantern-quarry-4$Kp"


def login(title: str, password: str, created: datetime = NOW - timedelta(days=10)) -> Item:
    item = Item.new("login", title, created)
    item.set_field("username", "alice", created)
    item.set_field("password", password, created)
    return item


def test_clean_vault() -> None:
    report = security_report({"a": login("A", STRONG), "b": login("B", STRONG2)}, NOW)
    assert report.clean
    assert report.checked == 2
    assert report.to_json() == {"checked": 2, "old_after_days": 365, "weak": [], "reused": [], "old": []}


def test_weak_passwords_are_named_by_item_and_field() -> None:
    report = security_report({"id-1": login("Bank", "password123"), "id-2": login("Mail", STRONG)}, NOW)
    assert [(w.where.item_id, w.where.title, w.where.field, w.where.label) for w in report.weak] == [
        ("id-1", "Bank", "password", "Password")
    ]
    assert report.weak[0].score < 3
    assert report.weak[0].warning


def test_password_leaning_on_the_title_is_weak() -> None:
    report = security_report({"x": login("Fabrikam", "Fabrikam2024")}, NOW)
    assert len(report.weak) == 1


def test_pins_and_card_codes_are_not_judged() -> None:
    card = Item.new("credit card", "Visa", NOW)
    card.set_field("pin", "1234", NOW)
    card.set_field("security code", "123", NOW)
    report = security_report([("c", card)], NOW)
    assert report.checked == 0 and report.clean


def test_reused_passwords_are_grouped_without_their_value() -> None:
    server = Item.new("server", "Box", NOW - timedelta(days=1))
    server.set_field("admin password", STRONG, NOW)
    items = {"1": login("A", STRONG), "2": login("B", STRONG), "3": login("C", STRONG2), "4": server}
    report = security_report(items, NOW)
    assert len(report.reused) == 1
    places = [(p.item_id, p.field) for p in report.reused[0].places]
    assert places == [("1", "password"), ("2", "password"), ("4", "admin_password")]
    text = json.dumps(report.to_json())
    assert STRONG not in text
    assert report.to_json()["reused"][0]["count"] == 3


def test_old_passwords_use_history_then_creation() -> None:
    ancient = login("Ancient", STRONG, created=NOW - timedelta(days=800))
    renewed = login("Renewed", STRONG2, created=NOW - timedelta(days=800))
    renewed.set_field("password", STRONG2 + "x", NOW - timedelta(days=30))
    stale_change = login("Stale", "Zq8#vT2!mW4$kL9@", created=NOW - timedelta(days=900))
    stale_change.set_field("password", "Zq8#vT2!mW4$kL9@x", NOW - timedelta(days=400))
    # An unrelated recent edit does not make the password new.
    ancient.set_field("username", "bob", NOW)
    report = security_report({"a": ancient, "r": renewed, "s": stale_change}, NOW)
    assert [(o.where.item_id, o.age_days) for o in report.old] == [("a", 800), ("s", 400)]
    assert report.to_json()["old"][0]["changed"] == "2023-03-24T00:00:00Z"
    assert security_report({"a": ancient}, NOW, old_after_days=1000).old == ()


def test_findings_sorted_by_title_and_overlong_passwords_still_scored() -> None:
    items = {"2": login("beta", "abc"), "1": login("Alpha", "abc"), "3": login("Long", "a1!" * 60)}
    report = security_report(items, NOW)
    assert [w.where.title for w in report.weak] == ["Alpha", "beta", "Long"]
    assert [p.title for p in report.reused[0].places] == ["Alpha", "beta"]


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone"):
        security_report({}, datetime(2025, 1, 1))
