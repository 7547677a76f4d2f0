"""Who is calling, for rate limits and the new-sign-in mail.

The peer address of the connection is the caller, unless that peer is a reverse proxy the
operator listed in ``SAFEHOLD_TRUSTED_PROXIES`` (addresses or networks, comma-separated;
none by default). Only then is ``X-Forwarded-For`` read, right to left, skipping listed
proxies: the first address that is not one of them is the caller. Trusting the header
from anyone (uvicorn's default trusts 127.0.0.1) lets a client name a fresh address per
request and so escape every per-client limit.

Rate limits then count IPv6 callers per /64: one host usually holds a whole /64 and can
pick a new address in it per request.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The prefix length IPv6 callers are counted by.
IPV6_BUCKET_PREFIX = 64


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    """``"10.0.0.1, 192.168.0.0/16, ::1"`` as networks; ``ValueError`` names a bad entry."""
    networks: list[Network] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"not an address or network: {entry!r}") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)


def client_address(peer: str | None, forwarded_for: list[str], proxies: tuple[Network, ...]) -> str:
    """The caller's address: ``peer``, or, when ``peer`` is a trusted proxy, the last
    address in ``X-Forwarded-For`` (every header line, in order) that is not one."""
    if not peer:
        return "unknown"
    current = _address(peer)
    if current is None or not proxies or not _trusted(current, proxies):
        return str(current) if current is not None else peer
    hops = [hop for line in forwarded_for for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage from further out: the last proxy we trust is the caller we know
        current = address
        if not _trusted(address, proxies):
            break
    return str(current)


def rate_key(address: str) -> str:
    """What per-client limits count: the address, or its /64 for IPv6."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, IPV6_BUCKET_PREFIX), strict=False))
    return str(parsed) if parsed is not None else address
