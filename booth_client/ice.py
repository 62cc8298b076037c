"""Choose which local addresses ICE gathers host candidates on.

aioice gathers on every interface except 127.0.0.1. A kiosk with several
network cards (a government intranet and a carrier uplink, say) should offer
only the one that reaches the seats; tests and drills on one machine need
127.0.0.1 itself. aioice reads ``aioice.ice.get_host_addresses`` at gather
time, so replacing that module attribute is enough.
"""

from __future__ import annotations

import ipaddress

import aioice.ice

__all__ = ["restrict_host_addresses", "restore_host_addresses"]

_ORIGINAL = aioice.ice.get_host_addresses


def restrict_host_addresses(addresses: list[str]) -> None:
    """Gather host candidates only on ``addresses`` (validated IPv4/IPv6 literals)."""
    chosen = [str(ipaddress.ip_address(a)) for a in addresses]

    def only(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen
                if (use_ipv4 and ":" not in a) or (use_ipv6 and ":" in a)]

    aioice.ice.get_host_addresses = only


def restore_host_addresses() -> None:
    aioice.ice.get_host_addresses = _ORIGINAL
