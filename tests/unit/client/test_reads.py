"""The agent's reads (client.reads): the same answers as the vault gives, kept only while the
vault file is unchanged, never across accounts, and every doubt answered with a fallback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.unit.client._passwords import PASSWORD

from safehold.client.account import AccountService
from safehold.client.reads import FALLBACK, ReadCache, answer_read


def _login(title: str, password: str) -> dict[str, Any]:
    return {"v": 1, "type": "login", "title": title, "fields": {"password": password}, "custom": [],
            "tags": [], "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z", "history": []}  # fmt: skip


def test_reads_follow_the_file_and_fall_back_on_doubt(make_service: Callable[[str], AccountService]) -> None:
    unlocked, _ = make_service("a").signup("ann@example.com", PASSWORD)
    vault = unlocked.vault
    github = vault.put(_login("GitHub", "one"))
    vault.put(_login("Gitea", "tea"))
    vault.put(_login("Twin", "1"))
    vault.put(_login("twin", "2"))
    caches: dict[str, ReadCache] = {}
    base = {"account_id": unlocked.account_id, "vault": str(unlocked.store.path)}

    def read(**request: Any) -> dict[str, Any]:
        return answer_read({**base, **request}, unlocked.vk, caches)

    def field(item: str) -> Any:
        return read(what="field", item=item, field="password").get("answer")

    assert field("GitHub") == "one" and field("github") == "one" and field(github.item_id) == "one"
    assert field("Twin") == "1" and field("twin") == "2"  # the exact spelling wins
    assert field("Gite") == "tea"  # a unique prefix, through Vault.find
    assert read(what="field", item="Git", field="password") == FALLBACK  # ambiguous
    assert read(what="field", item="Nope", field="password") == FALLBACK
    assert read(what="field", item="GitHub", field="pin") == FALLBACK
    # An edit changes the file: the next read sees it, through the same cache.
    vault.put({**github.data, "fields": {"password": "two"}}, github.item_id)
    assert field("GitHub") == "two"
    vault.move_to_trash(vault.find("GitHub"), datetime.now(UTC))
    assert read(what="field", item="GitHub", field="password") == FALLBACK
    assert sorted(i["title"] for i in read(what="list")["answer"]) == ["Gitea", "Twin", "twin"]
    # A vault file that is not this account's is not read.
    assert answer_read({**base, "account_id": "0" * 32, "what": "list"}, unlocked.vk, caches) == FALLBACK
    assert read(what="nonsense")["ok"] is False
    unlocked.close()
