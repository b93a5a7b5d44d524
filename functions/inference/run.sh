#!/bin/sh
# Lambda Web Adapter entry point: serve the same app object under uvicorn so responses stream.
exec python -m uvicorn inference_app:app --host 127.0.0.1 --port "${AWS_LWA_PORT:-8080}" --no-access-log --log-level warning
