"""Per-call TURN credentials for coturn's ``use-auth-secret`` (TURN REST API) scheme.

username = ``"<unix expiry>:<subject>"``,
password = ``base64(HMAC-SHA1(shared secret, username))`` — what coturn
recomputes from its ``static-auth-secret`` to admit the allocation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

__all__ = ["TurnCredential", "turn_credential", "ice_servers"]


@dataclass(frozen=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: int


def turn_credential(secret: str, subject: str, now: float, ttl_s: int) -> TurnCredential:
    """Credentials valid until ``now + ttl_s``; ``subject`` must not contain ':'."""
    if ":" in subject:
        raise ValueError("TURN subject must not contain ':'")
    expires = int(now) + ttl_s
    username = f"{expires}:{subject}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(username, base64.b64encode(digest).decode(), expires)


def ice_servers(
    turn_urls: tuple[str, ...],
    stun_urls: tuple[str, ...],
    secret: str | None,
    subject: str,
    now: float,
    ttl_s: int,
) -> list[dict[str, object]]:
    """The ``ice_servers`` list of ``call.start`` (empty when nothing is configured)."""
    servers: list[dict[str, object]] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and secret:
        cred = turn_credential(secret, subject, now, ttl_s)
        servers.append(
            {"urls": list(turn_urls), "username": cred.username, "credential": cred.credential}
        )
    return servers
