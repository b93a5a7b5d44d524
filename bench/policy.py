"""What the policy stage's controls cost, against plain passthrough and a direct call in the
same run.

    .venv/bin/python bench/policy.py [--requests 1000]

Starts the cheap fake upstream and the local gateway (`make dev`'s server, embedded moto) as
separate processes, with one gateway per case: plain (no controls), cache hit, cache miss that
stores, rate-limited (a limit never reached, so every request takes its counter), spend-limited
(a rule never reached: read the budget, charge the cost). Calls are interleaved (direct, plain,
case) so every path sees the same machine state; p50/p99 over keep-alive connections.

Then counts the synchronous AWS calls each path makes on a warm process: the same apps run
in this process against their own embedded moto, with a botocore `before-call` hook on every
client the gateway uses.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any

import run as base  # bench/run.py: the shared process and timing helpers

ACCOUNT = "bench"
AUTH = {"Authorization": "Bearer sk-bench", "content-type": "application/json"}
GATEWAY = {"cache_invalidate_on_update": False, "cache_ttl": 0, "collect_logs": True,
           "rate_limiting_interval": 0, "rate_limiting_limit": 0}
CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "cache-hit": {"cache_ttl": 3600},
    "cache-miss-store": {"cache_ttl": 3600},
    "rate-limited": {"rate_limiting_limit": 10**9, "rate_limiting_interval": 3600},
    "spend-limited": {"spend_limits": {"enabled": True, "rules": [
        {"id": "be0c0001", "limit": 10**6, "limitType": "cost", "window": 3600,
         "technique": "fixed"}]}},
}


def body_for(case: str, i: int) -> bytes:
    """Cache misses need a new body each time; every other case sends the same one."""
    if case == "cache-miss-store":
        return json.dumps({"model": "gpt-5-mini", "user": f"u{i}",
                           "messages": [{"role": "user", "content": "ping"}]}).encode()
    return base.CHAT


def create_gateways(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for case, settings in CASES.items():
        conn.request("POST", f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways",
                     body=json.dumps({**GATEWAY, **settings, "id": case}),
                     headers={"Authorization": f"Bearer {base.ADMIN}",
                              "content-type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()
        resp.read()


def timed(conn: http.client.HTTPConnection, path: str, body: bytes,
          headers: dict[str, str]) -> float:
    """`base.timed`, reconnecting once when the server closed an idle keep-alive connection."""
    try:
        return base.timed(conn, path, body, headers)
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        conn.close()
        return base.timed(conn, path, body, headers)


def latencies(up: int, gw: int, n: int) -> list[dict[str, Any]]:
    direct = http.client.HTTPConnection("127.0.0.1", up)
    conns = {case: http.client.HTTPConnection("127.0.0.1", gw) for case in CASES}
    path = "/v1/{}/{}/openai/chat/completions"
    times: dict[str, list[float]] = {case: [] for case in CASES}
    times["direct"] = []
    for i in range(-200, n):  # the first 200 rounds warm every path up
        d = timed(direct, "/v1/chat/completions", base.CHAT, AUTH)
        row = {case: timed(conns[case], path.format(ACCOUNT, case), body_for(case, i), AUTH)
               for case in CASES}
        if i >= 0:
            times["direct"].append(d)
            for case, t in row.items():
                times[case].append(t)
    out = []
    plain50 = base.pct(times["plain"], .5)
    for case in CASES:
        p50, p99 = base.pct(times[case], .5), base.pct(times[case], .99)
        out.append({"case": case, "p50_ms": round(p50, 3), "p99_ms": round(p99, 3),
                    "overhead_vs_direct_p50_ms": round(p50 - base.pct(times["direct"], .5), 3),
                    "added_vs_plain_p50_ms": round(p50 - plain50, 3)})
    return out


def aws_calls_per_request(up: int, n: int = 20) -> dict[str, dict[str, float]]:
    """Synchronous AWS calls per warm request on each path, counted by botocore hooks."""
    os.environ.update({"AIGW_ADMIN_TOKEN": base.ADMIN,
                       "AIGW_UPSTREAM_OPENAI": f"http://127.0.0.1:{up}/v1"})
    from fastapi.testclient import TestClient

    from aigw.stores import aws
    from aigw_local.functions import load_function_module
    from aigw_local.server import start_local_stack

    stack = start_local_stack(os.environ)
    calls: Counter[str] = Counter()

    def hook(model: Any, **_: Any) -> None:
        calls[f"{model.service_model.service_name}.{model.name}"] += 1

    for client in (aws.dynamodb(), aws.dynamodb_hot(), aws.secretsmanager()):
        client.meta.events.register("before-call", hook)
    try:
        with TestClient(load_function_module("management").app) as management:
            for case, settings in CASES.items():
                resp = management.post(f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways",
                                       json={**GATEWAY, **settings, "id": case},
                                       headers={"Authorization": f"Bearer {base.ADMIN}"})
                assert resp.status_code == 200, resp.text
        result: dict[str, dict[str, float]] = {}
        with TestClient(load_function_module("inference").app) as inference:
            def send(case: str, i: int) -> None:
                resp = inference.post(f"/v1/{ACCOUNT}/{case}/openai/chat/completions",
                                      content=body_for(case, i), headers=AUTH)
                assert resp.status_code == 200, resp.text

            for case in CASES:
                counted: Callable[[int], None] = lambda i, c=case: send(c, i)  # noqa: E731
                for i in range(-3, 0):
                    counted(i)  # warm: config cache, cache entry, previous windows
                calls.clear()
                for i in range(n):
                    counted(i)
                result[case] = {name: count / n for name, count in sorted(calls.items())}
                result[case]["total"] = sum(calls.values()) / n
        return result
    finally:
        stack.moto.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    up, gw = base.free_port(), base.free_port()
    upstream = base.start([sys.executable, "-m", "uvicorn", "--app-dir", str(base.ROOT / "bench"),
                           "fake_upstream:app", "--port", str(up), "--log-level", "warning",
                           "--no-access-log",
                           # Longer than the gateway pool's 60 s, as providers' are: an idle
                           # pooled connection is never closed under a request.
                           "--timeout-keep-alive", "75"], {})
    gateway = base.start([sys.executable, "-m", "aigw_local"], {
        "AIGW_PORT": str(gw), "AIGW_ADMIN_TOKEN": base.ADMIN,
        "AIGW_UPSTREAM_OPENAI": f"http://127.0.0.1:{up}/v1"})
    try:
        base.wait_http(up, "/")
        base.wait_http(gw, "/healthz")
        create_gateways(gw)
        rows = latencies(up, gw, args.requests)
        calls = aws_calls_per_request(up)
    finally:
        for p in (gateway, upstream):
            p.terminate()
            try:
                p.wait(timeout=10)
            except base.subprocess.TimeoutExpired:
                p.kill()
    for r in rows:
        print(f"{r['case']:17s} p50 {r['p50_ms']:.3f} ms (vs direct "
              f"+{r['overhead_vs_direct_p50_ms']:.3f}, vs plain {r['added_vs_plain_p50_ms']:+.3f})"
              f" p99 {r['p99_ms']:.3f} ms | AWS calls/request {calls[r['case']]['total']:.2f}")
    print(json.dumps({"latency": rows, "aws_calls_per_request": calls}, indent=2))


if __name__ == "__main__":
    main()
