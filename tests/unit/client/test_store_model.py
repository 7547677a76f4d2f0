"""The vault file's items against a plain model (hypothesis): whatever mix of pulled
states, local edits, bulk edits, deletions and re-opens, each row reads back as the model
says, in particular its merge base, which schema 3 may keep as "the same as local"."""

from __future__ import annotations

from pathlib import Path

from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from safehold.client.store import VaultStore

META = {"server": "http://x", "email": "a@b.c", "account_id": "00" * 16, "generation": "1",
        "device_id": "11" * 16}  # fmt: skip
IDS = [f"{n:02x}" * 16 for n in range(4)]
ENVELOPES = st.binary(min_size=1, max_size=6)


class Rows(RuleBasedStateMachine):
    """The model: item -> (local, base, revision, dirty), as the store's contract says."""

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, tuple[bytes | None, bytes | None, int, bool]] = {}

    @initialize(tmp=st.integers(0, 10**9))
    def start(self, tmp: int) -> None:
        import tempfile

        self.dir = tempfile.TemporaryDirectory()
        self.path = Path(self.dir.name) / "v.db"
        self.store = VaultStore.create(self.path, META)

    @rule(item=st.sampled_from(IDS), revision=st.integers(1, 9), envelope=ENVELOPES,
          local=st.one_of(st.none(), ENVELOPES), same=st.booleans(), dirty=st.booleans())  # fmt: skip
    def server_state(
        self, item: str, revision: int, envelope: bytes, local: bytes | None, same: bool, dirty: bool
    ) -> None:
        if same:
            local = envelope
        self.store.set_server_state(item, revision, envelope, local=local, dirty=dirty)
        if not dirty and local is None:
            self.model.pop(item, None)
        else:
            self.model[item] = (local, envelope, revision, dirty)

    @rule(item=st.sampled_from(IDS), revision=st.integers(1, 9), envelope=ENVELOPES)
    def pulled_clean(self, item: str, revision: int, envelope: bytes) -> None:
        # The engine's bulk path is only for items with no edit waiting (its contract).
        assume(not self.model.get(item, (None, None, 0, False))[3])
        self.store.set_clean_states([(item, revision, envelope)])
        self.model[item] = (envelope, envelope, revision, False)

    @rule(item=st.sampled_from(IDS), envelope=st.one_of(st.none(), ENVELOPES))
    def edit(self, item: str, envelope: bytes | None) -> None:
        self.store.save_local(item, envelope)
        old = self.model.get(item)
        if envelope is None and (old is None or (old[2] == 0 and old[1] is None)):
            self.model.pop(item, None)
            return
        _, base, revision, _ = old if old is not None else (None, None, 0, False)
        self.model[item] = (envelope, base, revision, True)

    @rule(items=st.lists(st.sampled_from(IDS), min_size=1, max_size=3, unique=True), envelope=ENVELOPES)
    def bulk_edit(self, items: list[str], envelope: bytes) -> None:
        self.store.save_local_many([(i, envelope) for i in items])
        for item in items:
            _, base, revision, _ = self.model.get(item, (None, None, 0, False))
            self.model[item] = (envelope, base, revision, True)

    @rule()
    def reopen(self) -> None:
        self.store.close()
        self.store = VaultStore.open(self.path)

    @invariant()
    def rows_are_the_model(self) -> None:
        if not hasattr(self, "store"):
            return
        got = {r.item_id: (r.local, r.base, r.revision, r.dirty) for r in self.store.rows()}
        assert got == self.model
        assert {i: r[1:] for i, r in self.store.rows_for(IDS).items()} == {
            i: (m[0], m[1], m[2], m[3]) for i, m in self.model.items()
        }

    def teardown(self) -> None:
        if hasattr(self, "store"):
            self.store.close()
            self.dir.cleanup()


TestRows = Rows.TestCase
