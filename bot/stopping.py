"""Stopping on SIGTERM (a host, systemd, cron's `timeout`) and SIGINT (Ctrl-C), for the worker and `run --once`.

The first signal sets an Event: no new work starts, deliveries stop between two posts, and what is in
flight finishes (every network call has a timeout). A second signal, or the grace period running out,
calls `abort`, which ends the process at once (`exit_now`): threads still inside a network call would
hold up a normal exit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any, NoReturn

log = logging.getLogger(__name__)
SIGNALS = (signal.SIGTERM, signal.SIGINT)
HAND_BACK_SECONDS = 5.0  # the most a forced stop spends giving its posts back before it exits


class StopSignals:
    """While entered, the first SIGTERM or SIGINT sets `event` and the second calls `abort(signum)`.

    With `grace`, `abort` is also called that many seconds after the first signal. `exit_code` is the
    shell's convention for a process stopped by a signal: 128 + its number (143 SIGTERM, 130 SIGINT).
    """

    def __init__(self, doing: str, abort: Callable[[int], object], *, grace: float | None = None,
                 wake: Callable[[], object] = lambda: None) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self._doing = doing
        self._abort = abort
        self._grace = grace
        self._wake = wake
        self._previous: dict[int, Any] = {}
        self._timer: threading.Timer | None = None

    @property
    def exit_code(self) -> int:
        return 128 + self.signum if self.signum else 0

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def install(self) -> None:
        for signum in SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)

    def __enter__(self) -> StopSignals:
        self.install()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        if self._timer is not None:  # the work ended within the grace period
            self._timer.cancel()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.event.is_set():
            log.warning("second signal (%s): stopping now", name)
            self._abort(self.signum or signum)
            return
        self.signum = signum
        within = f"up to {self._grace:g} s; " if self._grace is not None else ""
        log.info("received %s: %s (%sa second signal stops at once)", name, self._doing, within)
        self.event.set()
        if self._grace is not None:
            self._timer = threading.Timer(self._grace, self._grace_over, args=(signum,))
            self._timer.daemon = True
            self._timer.start()
        self._wake()

    def _grace_over(self, signum: int) -> None:
        log.warning("still running %ds after %s: stopping now", int(self._grace or 0), signal.Signals(signum).name)
        self._abort(signum)


def exit_now(code: int, before: Callable[[], object] | None = None) -> NoReturn:
    """End the process at once, after `before` (given at most HAND_BACK_SECONDS: the database may be what hangs)."""
    if before is not None:
        helper = threading.Thread(target=before, name="hand-back", daemon=True)
        helper.start()
        helper.join(HAND_BACK_SECONDS)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
