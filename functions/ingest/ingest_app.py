"""Ingest function: CloudWatch Logs subscription batches of the data plane's record lines in,
stored logs and hourly roll-ups out (see `aigw.ingest`). Invoked asynchronously by CloudWatch
Logs; an exception makes Lambda retry the batch, then send it to the dead-letter queue. Also
fed the logs table's stream, filtered to TTL expiries, to keep each gateway's count true."""

from typing import Any

from aigw.ingest import handle_expiries, handle_subscription
from aigw.log_context import gateway_logger

# The gateway's Logger: `aigw.*` module loggers (aigw.ingest's failures among them) share it.
logger = gateway_logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    stats = handle_subscription(event) if "awslogs" in event else handle_expiries(event)
    logger.info("ingest batch", extra=stats)
    return stats
