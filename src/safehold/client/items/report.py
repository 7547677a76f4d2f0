"""The security report: weak, reused and old passwords, listed by item.

Only password fields are judged (hidden fields whose name says password, see
:attr:`FieldSpec.is_password`): a PIN or a card's security code is short by design, and flagging
every one as weak would bury the findings that matter. No finding carries a password's value, so
a report can be printed, logged or shown as JSON without leaking anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ..password_policy import zxcvbn
from .model import Item, format_time

#: zxcvbn scores run 0–4; below this a password is reported as weak.
WEAK_BELOW: Final = 3
# zxcvbn refuses longer input; the first 72 characters decide whether a password is weak anyway.
_ZXCVBN_MAX: Final = 72


@dataclass(frozen=True, slots=True)
class Location:
    """Where a password lives: item id and title, and the field's key and label."""

    item_id: str
    title: str
    field: str
    label: str

    def to_json(self) -> dict[str, str]:
        return {"item_id": self.item_id, "title": self.title, "field": self.field, "label": self.label}


@dataclass(frozen=True, slots=True)
class WeakPassword:
    where: Location
    score: int
    warning: str
    suggestions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            **self.where.to_json(),
            "score": self.score,
            "warning": self.warning,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True, slots=True)
class ReusedPassword:
    """One password value found in several places (the value itself is not kept)."""

    places: tuple[Location, ...]

    def to_json(self) -> dict[str, Any]:
        return {"count": len(self.places), "places": [p.to_json() for p in self.places]}


@dataclass(frozen=True, slots=True)
class OldPassword:
    where: Location
    changed: datetime
    age_days: int

    def to_json(self) -> dict[str, Any]:
        return {**self.where.to_json(), "changed": format_time(self.changed), "age_days": self.age_days}


@dataclass(frozen=True, slots=True)
class Report:
    checked: int
    weak: tuple[WeakPassword, ...]
    reused: tuple[ReusedPassword, ...]
    old: tuple[OldPassword, ...]
    old_after_days: int

    @property
    def clean(self) -> bool:
        return not (self.weak or self.reused or self.old)

    def to_json(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "old_after_days": self.old_after_days,
            "weak": [w.to_json() for w in self.weak],
            "reused": [r.to_json() for r in self.reused],
            "old": [o.to_json() for o in self.old],
        }


def password_strength(password: str, user_inputs: Iterable[str] = ()) -> tuple[int, str, tuple[str, ...]]:
    """zxcvbn's score (0–4), warning and suggestions; ``user_inputs`` are words the password
    should not lean on (the item's title, username…)."""
    result = zxcvbn(password[:_ZXCVBN_MAX], user_inputs=[u[:_ZXCVBN_MAX] for u in user_inputs if u])
    feedback = result.get("feedback") or {}
    return (
        int(result["score"]),
        str(feedback.get("warning") or ""),
        tuple(str(s) for s in feedback.get("suggestions") or ()),
    )


def security_report(
    items: Mapping[str, Item] | Iterable[tuple[str, Item]],
    now: datetime,
    old_after_days: int = 365,
) -> Report:
    """Judge every password field of ``items`` (by id). Findings are sorted by title, then id."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the report's 'now' must be timezone-aware")
    if old_after_days < 0:
        raise ValueError("old_after_days cannot be negative")
    pairs = list(items.items()) if isinstance(items, Mapping) else list(items)
    pairs.sort(key=lambda pair: (pair[1].title.casefold(), pair[0]))
    threshold = timedelta(days=old_after_days)
    now = now.astimezone(UTC)

    checked = 0
    weak: list[WeakPassword] = []
    old: list[OldPassword] = []
    by_value: dict[str, list[Location]] = defaultdict(list)
    for item_id, item in pairs:
        context = [item.title, *(f.value for f in item.display_fields() if f.kind in ("text", "email"))]
        for secret in item.secret_fields():
            if not secret.is_password:
                continue
            checked += 1
            where = Location(item_id, item.title, secret.key, secret.label)
            by_value[secret.value].append(where)
            score, warning, suggestions = password_strength(secret.value, context)
            if score < WEAK_BELOW:
                weak.append(WeakPassword(where, score, warning, suggestions))
            changed = item.last_changed(secret.key)
            if now - changed > threshold:
                old.append(OldPassword(where, changed, (now - changed).days))

    reused = [ReusedPassword(tuple(places)) for places in by_value.values() if len(places) > 1]
    # The biggest groups first: one password behind many doors is the worst finding.
    reused.sort(
        key=lambda group: (-len(group.places), group.places[0].title.casefold(), group.places[0].item_id)
    )
    return Report(
        checked=checked,
        weak=tuple(weak),
        reused=tuple(reused),
        old=tuple(old),
        old_after_days=old_after_days,
    )
