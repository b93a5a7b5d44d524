#!/bin/sh
# Lambda Web Adapter entry point: serve the same app object under uvicorn so responses stream.
# The layer (/opt/python) is on PYTHONPATH; --app-dir puts this function's code root first.
exec python3 -m uvicorn compat_app:app --app-dir "${LAMBDA_TASK_ROOT:-$(dirname "$0")}" \
  --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}" --no-access-log --log-level warning
