"""Encrypted vault storage and delta sync (spec/api.md "Vault").

Each account row carries the last sequence number handed out. A push locks that row
(``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so sequence numbers are
assigned and committed strictly in order; a reader that first reads the account's
sequence and then only items at or below it can therefore never skip a write that
commits later with a smaller number. "Changes since N" is an index range scan on
``(account_id, seq)``: an empty sync costs the same for 10 items or 100,000.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as DbSession

from safehold import wire

from ..db.models import Account, Item, utcnow
from ..db.session import Database
from ..errors import AccountReset, NotFound, PayloadTooLarge, QuotaExceeded
from ..settings import Settings
from .changes_page import change_json_column, changes_json, page_json, timestamp_text
from .sessions import Principal

DEFAULT_LIMIT = 500
MAX_LIMIT = 1000


def change_model(item: Item) -> wire.Change:
    # Built without re-validation: the row was validated on its way in.
    return wire.Change.model_construct(
        item_id=item.item_id,
        seq=item.seq,
        revision=item.revision,
        deleted=bool(item.deleted) or item.envelope is None,
        envelope=item.envelope,
        updated_at=item.updated_at,
        device=item.device,
        device_seq=item.device_seq,
    )


R = TypeVar("R", bound=Sequence[Any])


def _page_of(rows: Sequence[R], limit: int, current: int, *, seq_at: int) -> tuple[Sequence[R], int, bool]:
    """Of ``limit + 1`` rows in seq order: the page, the cursor after it (the account's
    current seq when it is empty) and whether more rows follow."""
    page = rows[:limit]
    cursor = page[-1][seq_at] if page else max(current, 0)
    return page, cursor, len(rows) > limit


class VaultService:
    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        # Built once: constructing a statement costs more than running it on an empty sync.
        self._head = select(Account.seq, Account.generation, Account.reset_at).where(
            Account.account_id == bindparam("account_id")
        )
        window = (
            Item.account_id == bindparam("account_id"),
            Item.seq > bindparam("since"),
            Item.seq <= bindparam("current"),
        )
        dialect = database.dialect
        self._page = (
            select(Item.seq, change_json_column(dialect))
            .where(*window)
            .order_by(Item.seq)
            .limit(bindparam("limit"))
        )
        self._plain_page = (
            select(
                Item.item_id,
                Item.seq,
                Item.revision,
                Item.envelope,
                timestamp_text(dialect),
                Item.deleted,
                Item.device,
                Item.device_seq,
            )
            .where(*window)
            .order_by(Item.seq)
            .limit(bindparam("limit"))
        )
        #: Whether the database can write the JSON (None: not asked yet).
        self._writes_json: bool | None = None

    def _database_writes_json(self, conn: Connection) -> bool:
        """SQLite's JSON functions were optional before 3.38: a build without them
        takes the Python path rather than failing every sync."""
        if self._writes_json is None:
            self._writes_json = True
            if self.database.is_sqlite:
                try:
                    conn.exec_driver_sql("SELECT json_quote('')")
                except OperationalError:
                    self._writes_json = False
        return self._writes_json

    def changes(self, principal: Principal, since: int, limit: int = DEFAULT_LIMIT) -> bytes:
        """A page of ``wire.ChangesResponse``, already encoded as JSON."""
        limit = max(1, min(limit, MAX_LIMIT))
        with self.database.read() as db:
            # Core statements on the session's connection: the ORM's per-row result
            # handling would cost more than the query itself on a 1,000-row page.
            conn = db.connection()
            head = conn.execute(self._head, {"account_id": principal.account_id}).one_or_none()
            if head is None:
                raise NotFound("no such account")
            current, generation, reset_at = head
            if generation != principal.generation:
                raise AccountReset(reset_at=reset_at, generation=generation)
            window = {"account_id": principal.account_id, "since": since, "current": current}
            # One row beyond the page tells whether more follow.
            if self._database_writes_json(conn):
                rows = conn.execute(self._page, {**window, "limit": limit + 1}).all()
                page, cursor, has_more = _page_of(rows, limit, current, seq_at=0)
                if all(change is not None for _, change in page):
                    return page_json(generation, [change for _, change in page], cursor, has_more)
            plain_rows = conn.execute(self._plain_page, {**window, "limit": limit + 1}).all()
        plain, cursor, has_more = _page_of(plain_rows, limit, current, seq_at=1)
        return changes_json(generation, plain, cursor, has_more)

    def item(self, principal: Principal, item_id: str) -> wire.Change:
        """One item's current state, a tombstone included; ``NotFound`` if never written."""
        with self.database.read() as db:
            self._check_generation(db, principal)
            item = db.get(Item, (principal.account_id, item_id))
            if item is None:
                raise NotFound("no such item")
            return change_model(item)

    def push(self, principal: Principal, body: wire.PushRequest) -> wire.PushResponse:
        for index, write in enumerate(body.writes):
            self._check_size(write.envelope, f"writes.{index}.envelope")
        with self.database.write() as db:
            account = self._lock_account(db, principal)
            ids = {write.item_id for write in body.writes}
            existing = {
                item.item_id: item
                for item in db.scalars(
                    select(Item).where(Item.account_id == account.account_id, Item.item_id.in_(ids))
                )
            }
            now = utcnow()
            # No flush per write: every write takes a number above any the account has
            # handed out, so however the unit of work batches the INSERTs and UPDATEs at
            # commit, the unique (account_id, seq) index never sees one number twice.
            results = [self._apply(db, account, existing, write, now) for write in body.writes]
            generation = account.generation
        return wire.PushResponse(generation=generation, results=results)

    def put_item(self, principal: Principal, item_id: str, body: wire.ItemWriteRequest) -> wire.WriteResult:
        """One write, as in a push. A missing item that is not being created is
        ``NotFound``; a stale ``base_revision`` comes back as a conflict result (with
        ``current``) and changes nothing: the route answers it with 409."""
        self._check_size(body.envelope, "envelope")
        write = wire.Write.model_construct(
            item_id=item_id,
            base_revision=body.base_revision,
            envelope=body.envelope,
            deleted=body.deleted,
            device=body.device,
            device_seq=body.device_seq,
        )
        with self.database.write() as db:
            account = self._lock_account(db, principal)
            item = db.get(Item, (account.account_id, item_id))
            if item is None and (body.base_revision != 0 or body.envelope is None or body.deleted):
                raise NotFound("no such item: create it with base_revision 0 and an envelope")
            existing = {item_id: item} if item is not None else {}
            return self._apply(db, account, existing, write, utcnow())

    def _check_size(self, envelope: str | None, field: str) -> None:
        max_envelope = self.settings.max_envelope_bytes
        if envelope is not None and len(envelope) > max_envelope:
            raise PayloadTooLarge(f"an envelope may be at most {max_envelope} bytes", field=field)

    @staticmethod
    def _check_generation(db: DbSession, principal: Principal) -> None:
        head = db.execute(
            select(Account.generation, Account.reset_at).where(Account.account_id == principal.account_id)
        ).one_or_none()
        if head is None:
            raise NotFound("no such account")
        generation, reset_at = head
        if generation != principal.generation:
            raise AccountReset(reset_at=reset_at, generation=generation)

    @staticmethod
    def _lock_account(db: DbSession, principal: Principal) -> Account:
        """The account row, locked until commit: writes to one account queue here."""
        account = db.get(Account, principal.account_id, with_for_update=True, populate_existing=True)
        if account is None:
            raise NotFound("no such account")
        if account.generation != principal.generation:
            raise AccountReset(reset_at=account.reset_at, generation=account.generation)
        return account

    def _apply(
        self,
        db: DbSession,
        account: Account,
        existing: dict[str, Item],
        write: wire.Write,
        now: datetime,
    ) -> wire.WriteResult:
        item = existing.get(write.item_id)
        current_revision = item.revision if item is not None else 0
        # A tombstone for an item that never existed is refused like a stale write: there
        # is nothing to delete, and the reader would have no record to compare it with.
        will_live = write.envelope is not None and not write.deleted
        if write.base_revision != current_revision or (item is None and not will_live):
            return wire.WriteResult(
                item_id=write.item_id,
                status=wire.WriteStatus.CONFLICT,
                current=change_model(item) if item is not None else None,
            )
        was_live = item is not None and item.envelope is not None and not item.deleted
        if will_live and not was_live:
            if account.item_count >= self.settings.max_items_per_account:
                raise QuotaExceeded(
                    f"this account may hold at most {self.settings.max_items_per_account} items"
                )
            account.item_count += 1
        elif was_live and not will_live:
            account.item_count -= 1
        account.seq += 1
        if item is None:
            item = Item(account_id=account.account_id, item_id=write.item_id, revision=0)
            db.add(item)
            existing[write.item_id] = item
        item.revision = current_revision + 1
        item.seq = account.seq
        item.envelope = write.envelope
        item.deleted = not will_live
        item.device = write.device
        item.device_seq = write.device_seq
        item.updated_at = now
        return wire.WriteResult(
            item_id=write.item_id, status=wire.WriteStatus.OK, revision=item.revision, seq=item.seq
        )
