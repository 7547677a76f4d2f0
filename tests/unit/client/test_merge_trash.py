"""The merge rule for the trash mark: trashed on one side and edited on the other, the item
comes back out; trashed on one side and untouched on the other, it stays in the trash."""

from __future__ import annotations

from safehold.client.merge import merge_items

BASE = {"title": "Router", "fields": {"password": "r1"}, "modified": "2024-01-01T00:00:00Z"}
TRASHED = {**BASE, "trashed_at": "2024-01-02T00:00:00Z", "modified": "2024-01-02T00:00:00Z"}
EDITED = {**BASE, "fields": {"password": "r2"}, "modified": "2024-01-03T00:00:00Z"}


def test_trashed_here_edited_there_comes_back_with_the_edit() -> None:
    for local, remote in ((TRASHED, EDITED), (EDITED, TRASHED)):
        result = merge_items(BASE, local, remote)
        assert "trashed_at" not in result.merged and result.merged["fields"] == {"password": "r2"}
        assert result.conflicts == []


def test_trashed_and_untouched_stays_in_the_trash() -> None:
    touched_only = {**BASE, "modified": "2024-01-05T00:00:00Z"}
    for local, remote in ((TRASHED, BASE), (BASE, TRASHED), (TRASHED, touched_only)):
        assert merge_items(BASE, local, remote).merged["trashed_at"] == TRASHED["trashed_at"]
