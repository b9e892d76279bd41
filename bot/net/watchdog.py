"""Deadlines on reads that a socket timeout cannot bound.

A socket timeout bounds one recv. A trickling server defeats it inside the libraries: urllib3's
`read1` keeps reading until its gzip decoder has output (a compressed block's header sent a byte
at a time), and http.client reads a chunk-size line byte by byte. So at a fetch's deadline one
shared thread shuts the socket down, and whatever read is blocked on it returns at once.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from collections.abc import Iterator


class _Watchdog:
    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._watched: dict[int, socket.socket] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, sock: socket.socket) -> int:
        with self._wake:
            ident = next(self._ids)
            self._watched[ident] = sock
            heapq.heappush(self._heap, (deadline, ident))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="fetch-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()
            return ident

    def cancel(self, ident: int) -> None:
        with self._wake:
            self._watched.pop(ident, None)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][1] not in self._watched:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, ident = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
                sock = self._watched.pop(ident)
            with contextlib.suppress(OSError):  # already closed: nothing left to stop
                sock.shutdown(socket.SHUT_RDWR)


_watchdog = _Watchdog()


@contextlib.contextmanager
def cut_at(deadline: float | None, sock: socket.socket | None) -> Iterator[None]:
    """Within the block, reads on `sock` end (as a broken connection) at `deadline` (time.monotonic());
    with no deadline or no socket, nothing is watched."""
    if deadline is None or sock is None:
        yield
        return
    ident = _watchdog.watch(deadline, sock)
    try:
        yield
    finally:
        _watchdog.cancel(ident)
