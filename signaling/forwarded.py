"""The client's address behind a trusted proxy (``X-Forwarded-For``), pure.

Login throttling and the audit log key on the client's address. Behind nginx
(``deploy/nginx``) every request's peer is the proxy, so the hub reads
``X-Forwarded-For``, but only from the peers named in ``trusted_proxies``:
anyone else could write any address there to dodge the throttle or put someone
else's address into the audit log.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

__all__ = ["client_address", "networks"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def networks(spec: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """``("10.0.0.0/8", "127.0.0.1")`` parsed (cached: settings are frozen)."""
    return tuple(ipaddress.ip_network(s, strict=False) for s in spec)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped  # a dual-stack socket reports ::ffff:127.0.0.1
    return addr


def _trusted(text: str, trusted: tuple[IPNetwork, ...]) -> bool:
    addr = _address(text)
    return addr is not None and any(addr in net for net in trusted)


def client_address(peer: str, forwarded_for: Iterable[str],
                   trusted: tuple[IPNetwork, ...]) -> str:
    """The client of a request from ``peer`` carrying these ``X-Forwarded-For`` values.

    ``peer`` itself unless it is trusted; then the list is read from the right
    (the nearest hop first), skipping trusted proxies, and the first other
    address is the client. A hop that is not an address stops the walk at the
    proxy that passed it on; a list of only trusted hops gives the leftmost.
    """
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded_for for h in value.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        if _address(hop) is None:
            return client
        if not _trusted(hop, trusted):
            return hop
        client = hop
    return client
