"""Cost of the price catalogue: what the first cost of a process pays, and each one after.

Each sample is a fresh interpreter (as a Lambda cold start would be): it imports the compat
function's module, then times the first `cost_of` (which imports genai-prices and loads its
data) and then `--lookups` further ones. Also times importing the OpenTelemetry SDK and
exporters (the ingest function only) and Powertools Metrics (first data-plane request).

    .venv/bin/python bench/costs_lookup.py [--samples 7] [--lookups 2000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

PROBE = r"""
import json, sys, time
import aigw.compat.app  # what the compat function has imported before its first request
from aigw.costs import cost_of
from aigw.providers.spec import Usage
usage = Usage(input_tokens=1200, output_tokens=300, cache_read_tokens=200)
t0 = time.perf_counter()
cost_of("openai", "gpt-4o", usage, None)
t1 = time.perf_counter()
n = int(sys.argv[1])
for i in range(n):
    cost_of("anthropic", "claude-sonnet-4-5", usage, None)
t2 = time.perf_counter()
from aws_lambda_powertools.metrics import Metrics  # noqa: F401
t3 = time.perf_counter()
try:
    import opentelemetry.sdk.trace  # noqa: F401
    import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    import opentelemetry.exporter.otlp.json.http.trace_exporter  # noqa: F401
    otel = (time.perf_counter() - t3) * 1000
except ImportError:
    otel = None
print(json.dumps({"first_cost_ms": (t1 - t0) * 1000, "lookup_us": (t2 - t1) / n * 1e6,
                  "powertools_metrics_ms": (t3 - t2) * 1000, "otel_import_ms": otel}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--lookups", type=int, default=2000)
    args = parser.parse_args()
    runs = [json.loads(subprocess.run([sys.executable, "-c", PROBE, str(args.lookups)],
                                      check=True, capture_output=True, text=True).stdout)
            for _ in range(args.samples)]
    for key in ("first_cost_ms", "lookup_us", "powertools_metrics_ms", "otel_import_ms"):
        values = [r[key] for r in runs if r[key] is not None]
        if values:
            print(f"{key:24} median {statistics.median(values):8.2f}  "
                  f"min {min(values):8.2f}  max {max(values):8.2f}")


if __name__ == "__main__":
    main()
