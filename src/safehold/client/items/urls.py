"""Finding logins by the address of a web page, as a browser's password manager does.

Only the host counts: the scheme, port, path, query and a leading ``www.`` are ignored, and
case never matters. An item saved for ``github.com`` matches ``https://github.com/login``
and ``https://gist.github.com/`` (a subdomain of its host); one saved for
``gist.github.com`` does not match ``github.com``. Exact host matches rank before subdomain
ones, so the caller can prefer them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from .search import _template
from .templates import Template


def host_of(url: str) -> str | None:
    """The host of ``url`` in lower case without ``www.``; a bare ``github.com`` is read as a
    host. None for text with no host."""
    text = url.strip()
    if not text:
        return None
    if "://" not in text:
        text = "//" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".").lower()
    return host[4:] if host.startswith("www.") and host.count(".") > 1 else host


def item_urls(data: Mapping[str, Any], templates: Mapping[str, Template] | None = None) -> Iterator[str]:
    """The item's addresses: template fields of kind url, and custom url fields."""
    template = _template(data, templates)
    url_keys = (
        {spec.key for spec in template.fields if spec.kind == "url"} if template else {"website", "url"}
    )
    fields = data.get("fields", {})
    if isinstance(fields, Mapping):
        for key, value in fields.items():
            if key in url_keys and isinstance(value, str) and value:
                yield value
    custom = data.get("custom", [])
    if isinstance(custom, list):
        for entry in custom:
            if (
                isinstance(entry, Mapping)
                and entry.get("kind") == "url"
                and isinstance(entry.get("value"), str)
            ):
                yield str(entry["value"])


def url_match(data: Mapping[str, Any], url: str, templates: Mapping[str, Template] | None = None) -> int:
    """2 when an address of the item has the host of ``url``, 1 when ``url``'s host is a
    subdomain of one, else 0."""
    wanted = host_of(url)
    if wanted is None:
        return 0
    best = 0
    for saved in item_urls(data, templates):
        host = host_of(saved)
        if host is None:
            continue
        if host == wanted:
            return 2
        if wanted.endswith("." + host):
            best = 1
    return best
