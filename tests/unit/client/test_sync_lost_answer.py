"""A push whose answer never arrives (the connection dropped, the process died) after the
server committed it: the next sync must neither lose the edit nor make a conflict copy of
it against itself."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.client.test_sync import Make, _devices, _item, _titles

from safehold.client.api import ApiClient
from safehold.client.errors import Unreachable


def _drop_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ApiClient.push

    def push_then_lose_the_answer(self: ApiClient, writes: Any) -> Any:
        real(self, writes)  # the server commits ...
        raise Unreachable("the connection dropped")  # ... and the answer is lost

    monkeypatch.setattr(ApiClient, "push", push_then_lose_the_answer)


@pytest.mark.parametrize("kind", ["create", "edit", "delete"])
def test_a_push_whose_answer_was_lost_settles_on_the_next_sync(
    make_service: Make, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("GitHub", username="ann", password="pw1"))
    if kind != "create":
        a.sync(), b.sync()
        if kind == "edit":
            a.vault.put(_item("GitHub", username="ann", password="pw2"), stored.item_id)
        else:
            a.vault.delete(stored.item_id)
    with monkeypatch.context() as patch:
        _drop_answers(patch)
        with pytest.raises(Unreachable):
            a.sync()
    report = a.sync()
    assert report.conflicts == [] and a.store.outbox() == []
    b.sync()
    for device in (a, b):
        titles = _titles(device)
        if kind == "delete":
            assert titles == {}
        else:
            assert list(titles) == ["GitHub"]
            assert titles["GitHub"]["fields"]["password"] == ("pw1" if kind == "create" else "pw2")
