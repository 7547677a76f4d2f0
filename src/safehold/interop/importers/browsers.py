"""Browsers' password exports: Chrome (and Edge, Brave), Firefox, Safari / Apple Passwords.

Chrome: ``name,url,username,password,note``; Android apps appear as
``android://<hash>@<package>/`` and become an "Android app" field. Firefox:
``url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,
timePasswordChanged`` with times in milliseconds since 1970; its own account row
(``chrome://FirefoxAccounts``) is skipped with its reason. Safari:
``Title,URL,Username,Password,Notes,OTPAuth``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from safehold.client.items import ItemError

from ._base import ImportRead, ItemBuilder, Skipped, fingerprint, from_unix
from ._csv import Row, decode, rows


def _title_from_url(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def _login(fmt: str, row: Row, url: str, title: str, source_id: str) -> ItemBuilder:
    builder = ItemBuilder("login", title or _title_from_url(url), source_format=fmt, source_id=source_id)
    if url.startswith("android://"):
        package = url.rstrip("/").rpartition("@")[2] or url
        builder.custom("Android app", package)
        builder.data["title"] = title or package
    else:
        builder.set("website", url)
    builder.set("username", row.get("username", "login"))
    builder.set("password", row.get("password"))
    return builder


def read_chrome(data: bytes) -> ImportRead:
    result = ImportRead("chrome-csv")
    _, body = rows(decode(data))
    for row in body:
        url, name = row.get("url", "origin"), row.get("name")
        source_id = fingerprint(url, row.get("username"), name)
        builder = _login("chrome-csv", row, url, name, source_id)
        builder.note(row.get("note", "notes"))
        _finish(result, builder, row)
    return result


def read_firefox(data: bytes) -> ImportRead:
    result = ImportRead("firefox-csv")
    _, body = rows(decode(data))
    for row in body:
        url = row.get("url")
        if url.startswith("chrome://"):
            result.skipped.append(Skipped(f"line {row.line}", "Firefox's own account sign-in, not a website"))
            continue
        source_id = row.get("guid") or fingerprint(url, row.get("username"))
        builder = _login("firefox-csv", row, url, "", source_id)
        builder.custom("HTTP realm", row.get("httprealm"))
        action = row.get("formactionorigin")
        if action and action != url:
            builder.custom("Form action", action)

        builder.times(_millis(row, "timecreated"), _millis(row, "timepasswordchanged"))
        _finish(result, builder, row)
    return result


def _millis(row: Row, name: str) -> str | None:
    """Firefox writes times as milliseconds since 1970."""
    text = row.get(name)
    return from_unix(int(text) / 1000) if text.isdigit() else None


def read_safari(data: bytes) -> ImportRead:
    result = ImportRead("safari-csv")
    _, body = rows(decode(data))
    for row in body:
        url, title = row.get("url"), row.get("title")
        source_id = fingerprint(url, row.get("username"), title)
        builder = _login("safari-csv", row, url, title, source_id)
        builder.set("one_time_password", row.get("otpauth"))
        builder.note(row.get("notes"))
        _finish(result, builder, row)
    return result


def _finish(result: ImportRead, builder: ItemBuilder, row: Row) -> None:
    try:
        result.items.append(builder.build())
    except ItemError as exc:
        result.skipped.append(Skipped(f"line {row.line}", str(exc)))
    for problem in builder.problems:
        result.skipped.append(Skipped(f"line {row.line}", problem))
