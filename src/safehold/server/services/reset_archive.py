"""The old generation a reset replaced, kept sealed for a while (issue 14 §2, spec/archive.md §6).

A reset no longer deletes the account's items: :func:`archive_generation` moves the live
ones, with the keyset and KDF parameters they open under, into ``reset_archives`` /
``reset_archive_items`` inside the reset's transaction. Nothing here is readable by the
server: the items are envelopes sealed under the old vault key, which only the old keyset
gives, which only the old password and the old account key open. The old verifier is not
kept, so nothing can sign in to an archive either.

A signed-in device of the new generation lists the account's archives, downloads one
(keys, then items by pages) and merges it into the new vault on the device
(``safehold archive restore``); it may delete one. :meth:`ResetArchiveService.purge`
removes archives past ``expires_at`` (``SAFEHOLD_RESET_ARCHIVE_DAYS``), at start and on
the maintenance tick.
"""

from __future__ import annotations

import builtins
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, delete, func, insert, literal, select
from sqlalchemy.orm import Session as DbSession

from safehold import wire

from ..db.models import Account, Item, ResetArchive, ResetArchiveItem, utcnow
from ..db.session import Database
from ..errors import NotFound
from .sessions import Principal

log = logging.getLogger("safehold.server.reset")

DEFAULT_PAGE = 500
MAX_PAGE = 1000


def _live(account_id: str) -> ColumnElement[bool]:
    return and_(Item.account_id == account_id, Item.deleted.is_(False), Item.envelope.is_not(None))


def archive_generation(db: DbSession, account: Account, now: datetime, days: float) -> str | None:
    """Copy ``account``'s live items, keyset and KDF parameters into a new archive, in the
    caller's transaction (which then deletes the items); the archive id, or ``None`` when
    there is nothing to keep (no live item, or ``days`` is 0)."""
    if days <= 0:
        return None
    count = db.scalar(select(func.count()).select_from(Item).where(_live(account.account_id))) or 0
    if count == 0:
        return None
    archive_id = secrets.token_hex(16)
    db.add(
        ResetArchive(
            archive_id=archive_id, account_id=account.account_id, generation=account.generation,
            created_at=now, expires_at=now + timedelta(days=days), kdf_salt=account.kdf_salt,
            kdf_t=account.kdf_t, kdf_m_kib=account.kdf_m_kib, kdf_p=account.kdf_p,
            keyset=account.keyset, item_count=count,
        )
    )  # fmt: skip
    db.flush()
    # One INSERT ... SELECT: the envelopes never pass through Python.
    columns = ["archive_id", "item_id", "revision", "envelope", "updated_at", "device", "device_seq"]
    rows = select(
        literal(archive_id, String(32)), Item.item_id, Item.revision, Item.envelope, Item.updated_at,
        Item.device, Item.device_seq,
    ).where(_live(account.account_id))  # fmt: skip
    db.execute(insert(ResetArchiveItem).from_select(columns, rows))
    return archive_id


def archive_model(row: ResetArchive) -> wire.ServerArchive:
    return wire.ServerArchive(
        archive_id=row.archive_id, generation=row.generation, created_at=row.created_at,
        expires_at=row.expires_at, item_count=row.item_count,
    )  # fmt: skip


def _item_model(row: ResetArchiveItem) -> wire.ArchivedItem:
    return wire.ArchivedItem(
        item_id=row.item_id, revision=row.revision, envelope=row.envelope, updated_at=row.updated_at,
        device=row.device, device_seq=row.device_seq,
    )  # fmt: skip


class ResetArchiveService:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _get(db: DbSession, principal: Principal, archive_id: str) -> ResetArchive:
        row = db.get(ResetArchive, archive_id)
        # Another account's id answers exactly like an unknown one.
        if row is None or row.account_id != principal.account_id:
            raise NotFound("no such archive")
        return row

    def list(self, principal: Principal) -> wire.ServerArchivesResponse:
        return wire.ServerArchivesResponse(archives=self.summaries(principal.account_id))

    def summaries(self, account_id: str) -> builtins.list[wire.ServerArchive]:
        """An account's archives, newest first: dates and counts, never contents (also for
        ``safehold-server accounts show``)."""
        with self.database.read() as db:
            rows = db.scalars(
                select(ResetArchive)
                .where(ResetArchive.account_id == account_id)
                .order_by(ResetArchive.created_at.desc(), ResetArchive.archive_id)
            )
            return [archive_model(row) for row in rows]

    def keys(self, principal: Principal, archive_id: str) -> wire.ServerArchiveKeys:
        with self.database.read() as db:
            row = self._get(db, principal, archive_id)
            account = db.get(Account, row.account_id)
            if account is None:
                raise NotFound("no such archive")
            return wire.ServerArchiveKeys(
                archive=archive_model(row), email=account.email, kdf_salt=row.kdf_salt,
                kdf_params=wire.KdfParams(t=row.kdf_t, m_kib=row.kdf_m_kib, p=row.kdf_p),
                keyset=row.keyset,
            )  # fmt: skip

    def items(
        self, principal: Principal, archive_id: str, after: str | None, limit: int = DEFAULT_PAGE
    ) -> wire.ArchivedItemsResponse:
        """A page of the archive's items in item id order, after the item id ``after``."""
        limit = max(1, min(limit, MAX_PAGE))
        with self.database.read() as db:
            self._get(db, principal, archive_id)
            query = select(ResetArchiveItem).where(ResetArchiveItem.archive_id == archive_id)
            if after:
                query = query.where(ResetArchiveItem.item_id > after)
            rows = list(db.scalars(query.order_by(ResetArchiveItem.item_id).limit(limit + 1)))
        page, has_more = rows[:limit], len(rows) > limit
        items = [_item_model(r) for r in page]
        return wire.ArchivedItemsResponse(
            items=items, cursor=page[-1].item_id if page and has_more else None, has_more=has_more
        )

    def delete(self, principal: Principal, archive_id: str) -> None:
        with self.database.write() as db:
            self._get(db, principal, archive_id)
            self._delete(db, [archive_id])
        log.info("archive %s of account %s deleted by its owner", archive_id, principal.account_id)

    @staticmethod
    def _delete(db: DbSession, archive_ids: builtins.list[str]) -> None:
        # Items first: SQLite enforces no ON DELETE CASCADE unless told to.
        db.execute(delete(ResetArchiveItem).where(ResetArchiveItem.archive_id.in_(archive_ids)))
        db.execute(delete(ResetArchive).where(ResetArchive.archive_id.in_(archive_ids)))

    def purge(self, now: datetime | None = None) -> int:
        """Remove every archive past its ``expires_at``; how many."""
        now = now or utcnow()
        with self.database.write() as db:
            expired = list(db.scalars(select(ResetArchive.archive_id).where(ResetArchive.expires_at <= now)))
            if expired:
                self._delete(db, expired)
        if expired:
            log.info("purged %d reset archive(s) past their keeping time", len(expired))
        return len(expired)
