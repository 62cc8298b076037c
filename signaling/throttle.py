"""Rate limits with no I/O: a token bucket per connection and a login lockout.

Both take ``now`` from the caller so tests drive time instead of sleeping.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

__all__ = ["TokenBucket", "LoginThrottle"]


@dataclass
class TokenBucket:
    """``rate`` tokens per second up to ``burst``; :meth:`take` says if one was available."""

    rate: float
    burst: int
    tokens: float = -1.0
    stamp: float = 0.0

    def take(self, now: float) -> bool:
        if self.tokens < 0:
            self.tokens, self.stamp = float(self.burst), now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class LoginThrottle:
    """Locks a key (username, or client address) after ``max_failures`` within ``window_s``.

    After a lockout the caller must refuse logins for that key with
    ``rate_limited`` until :meth:`retry_after` returns 0, even with the right
    password, so guessing gains nothing from the lockout's end being probed.
    """

    max_failures: int = 5
    window_s: float = 300.0
    lockout_s: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _locked_until: dict[str, float] = field(default_factory=dict)

    def retry_after(self, key: str, now: float) -> float:
        until = self._locked_until.get(key)
        if until is None:
            return 0.0
        if now >= until:
            del self._locked_until[key]
            return 0.0
        return until - now

    def failed(self, key: str, now: float) -> None:
        q = self._failures.setdefault(key, deque())
        q.append(now)
        while q and q[0] < now - self.window_s:
            q.popleft()
        if len(q) >= self.max_failures:
            self._locked_until[key] = now + self.lockout_s
            q.clear()
        if len(self._failures) > 100_000:  # bound memory under a username spray
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
