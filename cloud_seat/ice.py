"""ICE set-up for the seat's peer connections: servers from the hub, host addresses pinned.

Two rules of DESIGN.md §6 live here:

- :func:`rtc_configuration` always builds an explicit ``RTCConfiguration`` from
  ``call.start``'s ``ice_servers`` (an empty list means host candidates only):
  aiortc would otherwise fall back to a public STUN server on the internet.
- :func:`restrict_host_addresses` chooses the local addresses host candidates
  are gathered on. aioice gathers on every interface except 127.0.0.1; tests
  and drills on one machine need 127.0.0.1 itself, and a seat PC with several
  network cards (government intranet and office LAN, say) should offer only
  the one that reaches the booths. aioice looks ``aioice.ice.get_host_addresses``
  up at gather time, so replacing that module attribute is enough; it applies
  to every peer connection of the process until :func:`restore_host_addresses`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

from signaling.protocol import IceServer

__all__ = ["rtc_configuration", "restrict_host_addresses", "restore_host_addresses"]

_ORIGINAL = aioice.ice.get_host_addresses


def rtc_configuration(ice_servers: Sequence[IceServer], *,
                      relay_only: bool = False) -> RTCConfiguration:
    """The configuration for one call: exactly ``ice_servers``, never a default server.

    ``relay_only`` sets ``iceTransportPolicy=relay``: only TURN-relayed
    candidates are gathered and used, so a call needs a TURN server in the list.
    """
    servers = [RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
               for s in ice_servers]
    policy = RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)


def restrict_host_addresses(addresses: list[str]) -> None:
    """Gather host candidates only on ``addresses`` (IPv4/IPv6 literals), process wide.

    Raises ``ValueError`` for anything that is not an IP address literal. An
    empty list gathers no host candidates at all (relay or server-reflexive only).
    """
    chosen: list[str] = []
    for text in addresses:
        try:
            chosen.append(str(ipaddress.ip_address(text)))
        except ValueError as exc:
            raise ValueError(f"not an IP address: {text!r}") from exc

    def only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (use_ipv6 if ":" in a else use_ipv4)]

    aioice.ice.get_host_addresses = only


def restore_host_addresses() -> None:
    """Undo :func:`restrict_host_addresses`: aioice's own choice of interfaces again."""
    aioice.ice.get_host_addresses = _ORIGINAL
