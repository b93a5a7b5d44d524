"""Local mode's stand-in for the CloudWatch Logs subscription: the same ingest code, in-process.

Every line `aigw.logs.emit` writes is also queued here; a daemon thread takes what is queued (up
to `BATCH` lines at a time, as a subscription delivers them) and runs `aigw.ingest.ingest_lines`
against the local moto tables. The request path only enqueues, so it never waits on DynamoDB;
records are stored a few milliseconds after their response ends. `flush()` waits for that. The
one difference from deployed: the store writes without DynamoDB transactions, which moto makes
slower the more the table holds (see `LogStore._apply_serially`).
"""

from __future__ import annotations

import logging
import queue
import threading

from aigw import logs
from aigw.ingest import IngestStats, ingest_lines
from aigw.stores.log_store import LogStore

BATCH = 500
logger = logging.getLogger("aigw.ingest")


class LocalIngest:
    def __init__(self) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.stats = IngestStats()
        # Moto's transactions copy whole tables (see LogStore._apply_serially).
        self.store = LogStore(transactional=False)

    def start(self) -> LocalIngest:
        self._thread = threading.Thread(target=self._run, name="aigw-ingest", daemon=True)
        self._thread.start()
        logs.add_sink(self._queue.put_nowait)
        return self

    def stop(self) -> None:
        logs.remove_sink(self._queue.put_nowait)
        self.flush()

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every line queued so far has been ingested."""
        done = threading.Event()
        waiter = threading.Thread(target=lambda: (self._queue.join(), done.set()), daemon=True)
        waiter.start()
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            lines = [self._queue.get()]
            while len(lines) < BATCH:
                try:
                    lines.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self.stats.add(ingest_lines(lines, self.store))
            except Exception:  # noqa: BLE001 - deployed, Lambda would retry; here, say so
                logger.exception("local ingest failed for %d lines", len(lines))
            finally:
                for _ in lines:
                    self._queue.task_done()
