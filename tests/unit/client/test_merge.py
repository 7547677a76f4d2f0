"""Three-way merge: properties that hold for any base and any two edits of it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from safehold.client.merge import conflict_title, merge_items

values = st.sampled_from(["", "a", "b", "c", "hunter2"])
field_names = st.sampled_from(["username", "password", "url", "pin"])
tags = st.lists(st.sampled_from(["work", "home", "bank", "old"]), unique=True, max_size=4)
history_entry = st.fixed_dictionaries(
    {"field": st.just("password"), "value": values, "changed": st.sampled_from(["2024-01-01", "2024-02-01"])}
)


@st.composite
def items(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "login",
        "title": draw(st.sampled_from(["GitHub", "Bank", "Mail"])),
        "fields": draw(st.dictionaries(field_names, values, max_size=4)),
        "custom": [
            {"name": n, "kind": "text", "value": v}
            for n, v in draw(st.dictionaries(st.sampled_from(["x", "y"]), values, max_size=2)).items()
        ],
        "tags": draw(tags),
        "favorite": draw(st.booleans()),
        "notes": draw(values),
        "modified": draw(st.sampled_from(["2024-01-01T00:00:00Z", "2024-03-01T00:00:00Z"])),
        "history": draw(st.lists(history_entry, max_size=2, unique_by=lambda h: (h["value"], h["changed"]))),
    }


@given(items(), items())
def test_one_sided_edits_win(base: dict[str, Any], edited: dict[str, Any]) -> None:
    assert merge_items(base, edited, base).merged == _normal(edited, base)
    assert merge_items(base, base, edited).merged == _normal(edited, base)


@given(items(), items())
def test_identical_edits_do_not_conflict(base: dict[str, Any], edited: dict[str, Any]) -> None:
    result = merge_items(base, edited, edited)
    assert result.conflicts == []
    assert result.merged == edited


@given(items(), items(), items())
def test_nothing_is_dropped(base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any]) -> None:
    result = merge_items(base, local, remote)
    merged = result.merged
    # Every field the remote changed is in the merged item (remote wins conflicts in place).
    for key, value in remote["fields"].items():
        if base["fields"].get(key) != value:
            assert merged["fields"].get(key) == value
    # A local change is either merged or reported as a conflict (kept in the conflict copy).
    for key, value in local["fields"].items():
        if base["fields"].get(key) != value and merged["fields"].get(key) != value:
            assert f"fields.{key}" in result.conflicts
    # Tags added on either side survive; history from both sides is kept.
    for tag in set(local["tags"]) - set(base["tags"]) | set(remote["tags"]) - set(base["tags"]):
        assert tag in merged["tags"]
    # (An old value both sides recorded anew is kept once, under its earlier date.)
    kept = {(h["field"], h["value"]) for h in merged["history"]}
    for entry in local["history"] + remote["history"]:
        assert (entry["field"], entry["value"]) in kept
        if entry in base["history"]:
            assert entry in merged["history"]
    assert merged["modified"] == max(local["modified"], remote["modified"])


@given(items(), items(), items())
def test_conflicts_only_where_both_sides_changed(
    base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any]
) -> None:
    for path in merge_items(base, local, remote).conflicts:
        parts = path.split(".")
        b, lo, r = _at(base, parts), _at(local, parts), _at(remote, parts)
        assert lo != b and r != b and lo != r


@given(items(), items())
def test_without_a_base_the_server_wins_every_difference(
    local: dict[str, Any], remote: dict[str, Any]
) -> None:
    result = merge_items(None, local, remote)
    for key, value in remote["fields"].items():
        assert result.merged["fields"][key] == value
    for key, value in local["fields"].items():
        if remote["fields"].get(key, value) != value:
            assert f"fields.{key}" in result.conflicts
    if _strip(local) == _strip(remote):
        assert result.conflicts == []


def test_title_of_a_conflict_copy() -> None:
    assert conflict_title("GitHub", "laptop", "2024-05-01 10:00") == (
        "GitHub (conflict copy from laptop, 2024-05-01 10:00)"
    )


def test_delete_of_a_custom_field_on_one_side() -> None:
    base = {"custom": [{"name": "x", "kind": "text", "value": "1"}], "fields": {"a": "1"}}
    local = {"custom": [], "fields": {"a": "1"}}
    remote = {"custom": [{"name": "x", "kind": "text", "value": "1"}], "fields": {"a": "2"}}
    assert merge_items(base, local, remote).merged == {"custom": [], "fields": {"a": "2"}}


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    # Keys that merge by their own rules never conflict.
    return {k: v for k, v in item.items() if k not in ("tags", "history", "modified")}


def _normal(edited: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    out = dict(edited)
    out["modified"] = max(edited["modified"], base["modified"])
    if edited["history"] != base["history"]:
        union = [*edited["history"], *(h for h in base["history"] if h not in edited["history"])]
        out["history"] = sorted(union, key=lambda h: (h["changed"], h["field"], h["value"]))
    return out


_MISSING = object()


def _at(item: dict[str, Any], parts: list[str]) -> Any:
    if parts[0] == "custom":
        return next((c for c in item.get("custom", []) if c["name"] == parts[1]), _MISSING)
    value: Any = item
    for part in parts:
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
    return value


def test_history_entries_both_sides_added_for_the_same_old_value_are_kept_once() -> None:
    """Both devices changed the password from "old": one history entry for "old" survives."""
    base = {"title": "Bank", "fields": {"password": "old"}, "history": []}
    local = {
        "title": "Bank",
        "fields": {"password": "mine"},
        "history": [{"field": "password", "value": "old", "changed": "2024-02-01T10:00:00Z"}],
    }
    remote = {
        "title": "Bank",
        "fields": {"password": "theirs"},
        "history": [{"field": "password", "value": "old", "changed": "2024-02-01T09:00:00Z"}],
    }
    result = merge_items(base, local, remote)
    assert result.merged["history"] == [
        {"field": "password", "value": "old", "changed": "2024-02-01T09:00:00Z"}
    ]
    assert result.conflicts == ["fields.password"]


def test_history_repeats_already_in_the_base_are_left_alone() -> None:
    """A password set back to an old value has two entries for it; a merge keeps both."""
    old = [
        {"field": "password", "value": "a", "changed": "2024-01-01"},
        {"field": "password", "value": "a", "changed": "2024-03-01"},
    ]
    base = {"title": "T", "history": old}
    local = {"title": "T", "history": [*old, {"field": "password", "value": "b", "changed": "2024-04-01"}]}
    remote = {"title": "T", "history": [*old, {"field": "pin", "value": "1", "changed": "2024-04-02"}]}
    merged = merge_items(base, local, remote).merged["history"]
    assert [h["value"] for h in merged] == ["a", "a", "b", "1"]
