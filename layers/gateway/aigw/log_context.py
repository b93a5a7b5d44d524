"""The gateway's Powertools Logger, with each request's log id as its correlation id.

Every line logged on logger `aigw` or a child (`aigw.providers`, `aigw.ingest`, ...) while a
request is served carries `correlation_id` = that request's `cf-aig-log-id`, so a warning found
in CloudWatch leads straight to the stored record (`GET .../logs/{correlation_id}`). The id is
kept in Powertools' context variable (`thread_safe_append_keys`), one per asyncio task, so
concurrent requests in one warm process never lend each other their ids.

The Logger is made on first use: importing Powertools' logging costs ~20 ms here, which stays
out of the functions' cold import.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger  # pragma: no cover

SERVICE = "aigw"


@lru_cache(maxsize=1)
def gateway_logger() -> Logger:
    """Powertools' JSON logger on the stdlib logger `aigw` (level: POWERTOOLS_LOG_LEVEL)."""
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE)


def bind_log_id(log_id: str) -> None:
    """Make `log_id` the correlation id of every line logged from the current task on."""
    gateway_logger().thread_safe_append_keys(correlation_id=log_id)
