"""How many failed logins a user name or a client address may have before it waits.

Failures are counted per user name and per address, separately: guessing one
account's password from many addresses hits the name's limit, spraying many
names from one address hits the address's. Past the free failures every further
one doubles the wait, up to ``max_delay``; a quiet spell of ``forget_after``
seconds clears the count, and a successful login clears its name's count (not the
address's, or an attacker with one valid account could reset their address by
logging in between guesses).

The counts live in this process's memory: a restart forgets them, and several
app processes behind one proxy would each count on their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Count:
    failures: int = 0
    last: float = 0.0
    locked_until: float = 0.0


class FailureLimiter:
    def __init__(
        self,
        *,
        per_user: int = 5,
        per_address: int = 20,
        base_delay: float = 1.0,
        max_delay: float = 900.0,
        forget_after: float = 900.0,
        max_keys: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_user < 1 or per_address < 1:
            raise ValueError("per_user and per_address must be at least 1")
        self.free = {"user": per_user, "address": per_address}
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.forget_after = forget_after
        self.max_keys = max_keys
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], _Count] = {}

    @staticmethod
    def _keys(user: str | None, address: str | None) -> list[tuple[str, str]]:
        keys = [("user", user or "")]
        if address:
            keys.append(("address", address))
        return keys

    def _current(self, key: tuple[str, str], now: float) -> _Count | None:
        count = self._counts.get(key)
        if count and now >= count.locked_until and now - count.last > self.forget_after:
            del self._counts[key]
            return None
        return count

    def retry_after(self, user: str | None, address: str | None = None) -> float:
        """Seconds until this name and address may try again; 0 when they may now."""
        now = self.clock()
        with self._lock:
            waits = [
                count.locked_until - now
                for key in self._keys(user, address)
                if (count := self._current(key, now))
            ]
        return max([0.0, *waits])

    def failed(self, user: str | None, address: str | None = None) -> float:
        """Count a failed login; returns the wait it now imposes (0 while still free)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            if len(self._counts) >= self.max_keys:
                self._prune(now)
            for key in self._keys(user, address):
                count = self._current(key, now) or self._counts.setdefault(key, _Count())
                count.failures += 1
                count.last = now
                over = count.failures - self.free[key[0]]
                if over > 0:
                    delay = min(self.max_delay, self.base_delay * 2 ** (over - 1))
                    count.locked_until = max(count.locked_until, now + delay)
                wait = max(wait, count.locked_until - now)
        return wait

    def succeeded(self, user: str | None) -> None:
        with self._lock:
            self._counts.pop(("user", user or ""), None)

    def _prune(self, now: float) -> None:
        # Under a spray of random names the table would grow without bound: drop the
        # forgotten entries first, then the oldest unlocked ones.
        for key in list(self._counts):
            self._current(key, now)
        if len(self._counts) >= self.max_keys:
            unlocked = sorted((c.last, k) for k, c in self._counts.items() if c.locked_until <= now)
            for _, key in unlocked[: len(self._counts) - self.max_keys // 2]:
                del self._counts[key]
