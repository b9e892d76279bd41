"""Failed sign-ins, counted per client address and in all, so that guessing the token online is slow.

A client that failed `per_client` times within `window` seconds waits until the oldest of those failures is
older than the window; `overall` failures from everyone together (a guesser spread over many addresses) make
every sign-in wait the same way. A throttled attempt is refused before the token is compared, so it tells the
guesser nothing. A signed-in browser keeps its session meanwhile; only new sign-ins wait.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class Throttle:
    def __init__(self, per_client: int = 5, overall: int = 30, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before its next sign-in attempt is looked at (0: now)."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            waits = [0.0]
            mine = self._clients.get(client)
            if mine is not None and len(mine) >= self.per_client:
                waits.append(mine[-self.per_client] + self.window - now)
            if len(self._all) >= self.overall:
                waits.append(self._all[-self.overall] + self.window - now)
            return max(waits)

    def failed(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            self._clients.setdefault(client, deque()).append(now)
            self._all.append(now)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _expire(self, now: float) -> None:
        cutoff = now - self.window
        while self._all and self._all[0] <= cutoff:
            self._all.popleft()
        for client in [c for c, times in self._clients.items() if not times or times[-1] <= cutoff]:
            del self._clients[client]
        for times in self._clients.values():
            while times and times[0] <= cutoff:
                times.popleft()
