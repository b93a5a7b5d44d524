#!/bin/sh
# Lambda Web Adapter entry point: the adapter's /opt/bootstrap execs ${LAMBDA_TASK_ROOT}/${_HANDLER}
# (this file). Started that way, the Python runtime's own bootstrap never runs, and it is what
# puts the layer (/opt/python) on the module path: without the line below every import of the
# layer fails at init. --app-dir puts this function's code root first.
export PYTHONPATH="/opt/python${PYTHONPATH:+:$PYTHONPATH}"
exec python3 -m uvicorn inference_app:app --app-dir "${LAMBDA_TASK_ROOT:-$(dirname "$0")}" \
  --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}" --no-access-log --log-level warning
