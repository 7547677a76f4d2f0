"""The agent's syncer planned by a fake clock: it syncs soon after the keys arrive, every
interval after that, within the delay after a local change, backs off exponentially
(capped) on failures without spinning, and stops for an account whose keys are gone."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehold.client import autosync
from safehold.client.autosync import MAX_BACKOFF, AutoSync
from safehold.client.errors import UsageError
from safehold.client.settings import ClientSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _syncer(
    results: list[str | None], interval: float = 60, delay: float = 3
) -> tuple[AutoSync, Clock, list[str]]:
    clock = Clock()
    calls: list[str] = []
    keys: dict[str, tuple[bytes, str | None]] = {"acc": (b"k" * 32, None)}
    s = AutoSync(keys.get, lambda a: keys.pop(a, None), interval=interval, delay=delay, clock=clock)

    def fake_sync(account_id: str, home: Path, _keys: tuple[bytes, str | None]) -> str | None:
        calls.append(account_id)
        return results.pop(0) if results else None

    s._sync = fake_sync  # type: ignore[method-assign]
    s._start = lambda: None  # type: ignore[method-assign]  # driven by hand, no thread
    return s, clock, calls


def _due(s: AutoSync) -> float:
    state = s.state("acc")
    assert state is not None
    return float(state["next_in"])


def test_syncs_after_the_delay_then_every_interval() -> None:
    s, _clock, calls = _syncer([])
    s.watch("acc", Path("/p"))
    assert _due(s) == 3
    s.run_once("acc")
    assert calls == ["acc"] and _due(s) == 60


def test_a_local_change_brings_the_next_sync_within_the_delay() -> None:
    s, clock, _calls = _syncer([])
    s.watch("acc", Path("/p"))
    s.run_once("acc")
    clock.now += 10
    assert s.poke("acc")
    assert _due(s) == 3
    assert not s.poke("unknown")


def test_failures_back_off_exponentially_up_to_a_cap_and_a_success_resets() -> None:
    s, clock, _calls = _syncer(["offline"] * 20, interval=60, delay=3)
    s.watch("acc", Path("/p"))
    waits = []
    for _ in range(12):
        s.run_once("acc")
        waits.append(_due(s))
    # The interval while the back-off (3, 6, 12… s) is shorter, then doubling, capped.
    assert waits == [60, 60, 60, 60, 60, 96, 192, 384, 768, MAX_BACKOFF, MAX_BACKOFF, MAX_BACKOFF]
    state = s.state("acc")
    assert state is not None and state["failures"] == 12 and state["last_error"] == "offline"
    # A poke does not cut a back-off short: a failing storage is not hammered by edits.
    s.poke("acc")
    assert _due(s) == MAX_BACKOFF
    # Success: back to the interval.
    s._sync = lambda *a: None  # type: ignore[method-assign]
    clock.now += MAX_BACKOFF
    s.run_once("acc")
    state = s.state("acc")
    assert state is not None and state["failures"] == 0 and _due(s) == 60


def test_short_intervals_back_off_from_the_delay() -> None:
    s, _clock, _calls = _syncer(["offline"] * 5, interval=1, delay=0.5)
    s.watch("acc", Path("/p"))
    waits = []
    for _ in range(5):
        s.run_once("acc")
        waits.append(_due(s))
    assert waits == [1, 2, 4, 8, 16]


def test_an_account_whose_keys_are_gone_is_dropped() -> None:
    s, _clock, calls = _syncer([])
    s.watch("acc", Path("/p"))
    s.keys = lambda account_id: None  # type: ignore[method-assign]
    s.run_once("acc")
    assert calls == [] and s.state("acc") is None


def test_interval_zero_turns_it_off() -> None:
    s, _clock, _calls = _syncer([], interval=0)
    s.watch("acc", Path("/p"))
    assert s.state("acc") is None


def test_the_thread_waits_and_stops() -> None:
    s = AutoSync(lambda a: None, lambda a: None, interval=60, delay=60)
    s.watch("acc", Path("/nowhere"))
    s.stop()
    assert s._thread is not None
    s._thread.join(timeout=10)
    assert not s._thread.is_alive()


@pytest.mark.parametrize("name", ["SAFEHOLD_SYNC_INTERVAL", "SAFEHOLD_SYNC_DELAY"])
def test_settings(name: str, tmp_path: Path) -> None:
    loaded = ClientSettings.load(home=tmp_path, env={name: "5"})
    assert (loaded.sync_interval if "INTERVAL" in name else loaded.sync_delay) == 5
    default = ClientSettings.load(home=tmp_path, env={})
    assert (default.sync_interval, default.sync_delay) == (60, 3)
    for bad in ("-1", "soon", "inf", "nan"):
        with pytest.raises(UsageError, match=name):
            ClientSettings.load(home=tmp_path, env={name: bad})


def test_last_sync_is_kept_without_secrets(tmp_path: Path) -> None:
    from safehold.client.store import VaultStore
    from safehold.client.sync import SyncReport

    store = VaultStore.create(tmp_path / "v.db", {"account_id": "a" * 32})
    autosync.record(store, "agent", SyncReport(pulled=2, pushed=1), None)
    last = autosync.last_sync(store)
    assert last is not None and last["ok"] and (last["pulled"], last["pushed"], last["by"]) == (2, 1, "agent")
    autosync.record(store, "command", None, UsageError("the folder is gone"))
    last = autosync.last_sync(store)
    assert last is not None and not last["ok"] and last["error"] == "the folder is gone"
    store.set_meta(last_sync="not json")
    assert autosync.last_sync(store) is None
    store.close()


def test_the_agent_protocol_for_automatic_sync(tmp_path: Path) -> None:
    from safehold.client.agent import AgentServer, b64encode

    agent = AgentServer(tmp_path / "s.sock", idle=60)
    put = {"op": "put", "account_id": "acc", "vk": b64encode(b"k" * 32), "token": None}
    # Without a sync part (an older client, or SAFEHOLD_SYNC_INTERVAL=0 upstream): no syncer.
    assert agent.answer(put) == {"ok": True}
    assert agent.answer({"op": "poke", "account_id": "acc"}) == {"ok": False}
    assert agent.answer({"op": "sync_state", "account_id": "acc"}) == {"ok": True, "state": None}
    # A malformed sync part is refused (no keys kept), and the agent keeps running.
    agent.answer({"op": "forget", "account_id": "acc"})
    for bad in ({"home": 5, "interval": 1, "delay": 1}, {"home": "/p", "interval": -1, "delay": 1}, {}, "x"):
        answer = agent.answer({**put, "sync": bad})
        assert answer["ok"] is False and "bad request" in answer["error"]
        assert agent.answer({"op": "get", "account_id": "acc"}) == {"ok": False}
    assert agent.answer({**put, "sync": {"home": str(tmp_path), "interval": 3600, "delay": 3600}})["ok"]
    state = agent.answer({"op": "sync_state", "account_id": "acc"})["state"]
    assert state["interval"] == 3600 and state["failures"] == 0
    assert agent.answer({"op": "poke", "account_id": "acc"}) == {"ok": True}
    assert agent.answer({"op": "forget", "account_id": "acc"}) == {"ok": True}
    assert agent.answer({"op": "sync_state", "account_id": "acc"})["state"] is None
    assert agent.answer({"op": "lock"}) == {"ok": True}
