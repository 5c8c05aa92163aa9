"""The worker process: huey's consumer, with a stop request that arrives while it starts honoured.

huey installs its SIGINT/SIGTERM handlers at the end of `Consumer.start()`. A Ctrl-C or a
SIGTERM from a process manager that arrives earlier (while the consumer builds its threads)
would otherwise escape as KeyboardInterrupt and end the command with exit 1 and no graceful
stop. `run_worker` catches such a signal from the moment the command runs and hands it to the
consumer as soon as huey's own handlers are in place, so every stop is the same graceful one.
"""
from __future__ import annotations

import signal

from huey import Huey
from huey.consumer import Consumer


class _Worker(Consumer):
    """huey's consumer that honours a stop request received before its own handlers existed."""

    def __init__(self, huey: Huey, early: dict, **options):
        super().__init__(huey, **options)
        self._early = early

    def _set_signal_handlers(self):
        super()._set_signal_handlers()
        # Read only after huey's handlers replaced ours: a later signal reaches huey itself.
        if self._early["stop"]:
            # The flags huey's own handlers set: the main loop stops gracefully.
            self._received_signal = True
            self._graceful = True


def run_worker(huey: Huey, threads: int, banner: str) -> None:
    """Run the queue with `threads` worker threads and the periodic scheduler until stopped.

    `banner` is printed once a stop request is already honoured (tests wait for it)."""
    early = {"stop": False}

    def remember(signum, frame):
        early["stop"] = True

    previous = {sig: signal.signal(sig, remember) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(banner, flush=True)
    try:
        # max_delay 1 s (huey: 10 s): an idle worker polling the SQLite queue picks a job up within
        # a second, so a request waiting for one (the 目录's pages, renditions/toc.py) is not
        # outwaited by the poll interval. Redis blocks on the queue and is immediate anyway.
        _Worker(huey, early, workers=threads, worker_type="thread", periodic=True,
                check_worker_health=True, max_delay=1.0).run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
