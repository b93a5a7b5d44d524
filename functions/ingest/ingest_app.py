"""Ingest function: CloudWatch Logs subscription batches of the data plane's record lines in,
stored logs and hourly roll-ups out (see `aigw.ingest`). Invoked asynchronously by CloudWatch
Logs; an exception makes Lambda retry the batch, then send it to the dead-letter queue. Also
fed the logs table's stream, filtered to TTL expiries, to keep each gateway's count true."""

from typing import Any

from aws_lambda_powertools import Logger

from aigw.ingest import handle_expiries, handle_subscription

logger = Logger(service="aigw-ingest")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    stats = handle_subscription(event) if "awslogs" in event else handle_expiries(event)
    logger.info("ingest batch", extra=stats)
    return stats
