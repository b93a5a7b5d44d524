"""Gateway overhead against a direct call, measured in the same run.

    .venv/bin/python bench/run.py [--requests 2000] [--seconds 5]

Starts a cheap fake upstream and the local gateway (`python -m aigw_local`, the `make dev`
server) as separate processes, then measures, interleaving direct and gateway calls so both see
the same machine state:
  - sequential latency p50/p99 over keep-alive connections (passthrough and compat),
  - throughput with 16 concurrent clients,
  - streaming time to first byte,
  - the gateway process's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
ADMIN = "bench-admin-token"
ACCOUNT = "bench"
CHAT = json.dumps({"model": "gpt-5-mini",
                   "messages": [{"role": "user", "content": "ping"}]}).encode()
STREAM = json.dumps({"model": "gpt-5-mini", "stream": True,
                     "messages": [{"role": "user", "content": "ping"}]}).encode()
COMPAT = json.dumps({"model": "anthropic/claude-sonnet-4-5",
                     "messages": [{"role": "user", "content": "ping"}]}).encode()
ROUTE = json.dumps({"model": "dynamic/one",
                    "messages": [{"role": "user", "content": "ping"}]}).encode()
#: A one-model route (start -> model -> end): what a route adds over compat to OpenAI.
ROUTE_ELEMENTS = [
    {"id": "start", "type": "start", "outputs": {"next": {"elementId": "m"}}},
    {"id": "m", "type": "model", "properties": {"provider": "openai", "model": "gpt-5-mini"},
     "outputs": {"success": {"elementId": "end"}}},
    {"id": "end", "type": "end", "outputs": {}}]
ANTHROPIC = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 4096,
                        "messages": [{"role": "user", "content": "ping"}]}).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(port: int, path: str, deadline_s: float = 30) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", path)
            c.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port}")


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=ROOT)


def timed(conn: http.client.HTTPConnection, path: str, body: bytes,
          headers: dict[str, str]) -> float:
    t0 = time.perf_counter()
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    resp.read()
    elapsed = time.perf_counter() - t0
    assert resp.status == 200, (path, resp.status)
    return elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def latency(label: str, direct: tuple[str, bytes, dict[str, str]],
            gateway: tuple[str, bytes, dict[str, str]], up: int, gw: int, n: int) -> dict:
    dc = http.client.HTTPConnection("127.0.0.1", up)
    gc = http.client.HTTPConnection("127.0.0.1", gw)
    for _ in range(200):
        timed(dc, *direct)
        timed(gc, *gateway)
    d, g = [], []
    for _ in range(n):
        d.append(timed(dc, *direct))
        g.append(timed(gc, *gateway))
    result = {"path": label, "direct_p50_ms": pct(d, .5), "gateway_p50_ms": pct(g, .5),
              "direct_p99_ms": pct(d, .99), "gateway_p99_ms": pct(g, .99)}
    result["overhead_p50_ms"] = result["gateway_p50_ms"] - result["direct_p50_ms"]
    result["overhead_p99_ms"] = result["gateway_p99_ms"] - result["direct_p99_ms"]
    return result


async def throughput(url: str, body: bytes, headers: dict[str, str], seconds: float,
                     clients: int = 16) -> float:
    done = 0
    end = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as s:
        async def worker() -> None:
            nonlocal done
            while time.monotonic() < end:
                async with s.post(url, data=body, headers=headers) as r:
                    await r.read()
                    assert r.status == 200
                    done += 1
        await asyncio.gather(*(worker() for _ in range(clients)))
    return done / seconds


def ttfb(port: int, path: str, headers: dict[str, str], samples: int = 30) -> float:
    values = []
    for _ in range(samples):
        conn = http.client.HTTPConnection("127.0.0.1", port)
        t0 = time.perf_counter()
        conn.request("POST", path, body=STREAM, headers=headers)
        resp = conn.getresponse()
        first = resp.read1(65536)
        values.append(time.perf_counter() - t0)
        assert first.startswith(b"data:"), first[:40]
        resp.read()
        conn.close()
    return statistics.median(values) * 1000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


FUNCTION_RSS = """
import sys
from aigw_local.functions import load_function_module
load_function_module(sys.argv[1])
import aiohttp, boto3  # what the first request loads lazily
boto3.session.Session().client("dynamodb", region_name="us-east-1")
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) / 1024)
"""


def function_rss_mb(name: str) -> float:
    """RSS of one function's process alone (no moto, no other apps): a Lambda memory proxy."""
    out = subprocess.run([sys.executable, "-c", FUNCTION_RSS, name], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    return round(float(out.stdout.strip()), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--local-ingest", action="store_true",
                        help="also store records in-process, as make dev does")
    args = parser.parse_args()
    up, gw = free_port(), free_port()
    upstream = start([sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"),
                      "fake_upstream:app", "--port", str(up), "--log-level", "warning",
                      "--no-access-log"], {})
    gateway = start([sys.executable, "-m", "aigw_local"], {
        # Deployed, logs are stored by another function; the local in-process ingest would
        # share this process's CPU, so it is measured only on request.
        "AIGW_LOCAL_INGEST": "on" if args.local_ingest else "off",
        "AIGW_PORT": str(gw), "AIGW_ADMIN_TOKEN": ADMIN,
        "AIGW_UPSTREAM_OPENAI": f"http://127.0.0.1:{up}/v1",
        "AIGW_UPSTREAM_ANTHROPIC": f"http://127.0.0.1:{up}"})
    try:
        wait_http(up, "/")
        wait_http(gw, "/healthz")
        mgmt = http.client.HTTPConnection("127.0.0.1", gw)
        mgmt.request("POST", f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways",
                     body=json.dumps({"id": "bench", "cache_invalidate_on_update": False,
                                      "cache_ttl": 0, "collect_logs": True,
                                      "rate_limiting_interval": 0, "rate_limiting_limit": 0}),
                     headers={"Authorization": f"Bearer {ADMIN}",
                              "content-type": "application/json"})
        made = mgmt.getresponse()
        assert made.status == 200 and made.read()
        mgmt.request("POST", f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways/bench/routes",
                     body=json.dumps({"name": "one", "elements": ROUTE_ELEMENTS}),
                     headers={"Authorization": f"Bearer {ADMIN}",
                              "content-type": "application/json"})
        assert mgmt.getresponse().status == 200
        auth = {"Authorization": "Bearer sk-bench", "content-type": "application/json"}
        ant = {"x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01",
               "content-type": "application/json"}
        base = f"/v1/{ACCOUNT}/bench"
        results = [
            latency("passthrough openai", ("/v1/chat/completions", CHAT, auth),
                    (f"{base}/openai/chat/completions", CHAT, auth), up, gw, args.requests),
            latency("compat openai->anthropic", ("/v1/messages", ANTHROPIC, ant),
                    (f"{base}/compat/chat/completions", COMPAT, auth), up, gw, args.requests),
            latency("route dynamic/one->openai", ("/v1/chat/completions", CHAT, auth),
                    (f"{base}/compat/chat/completions", ROUTE, auth), up, gw, args.requests),
        ]
        direct_rps = asyncio.run(throughput(f"http://127.0.0.1:{up}/v1/chat/completions", CHAT,
                                            auth, args.seconds))
        gateway_rps = asyncio.run(throughput(
            f"http://127.0.0.1:{gw}{base}/openai/chat/completions", CHAT, auth, args.seconds))
        ttfb_direct = ttfb(up, "/v1/chat/completions", auth)
        ttfb_gateway = ttfb(gw, f"{base}/openai/chat/completions", auth)
        report = {"latency": results,
                  "throughput_16_clients_rps": {"direct": round(direct_rps),
                                                "gateway": round(gateway_rps)},
                  "stream_ttfb_ms": {"direct": round(ttfb_direct, 2),
                                     "gateway": round(ttfb_gateway, 2)},
                  "gateway_rss_mb_incl_embedded_moto": round(rss_mb(gateway.pid), 1),
                  "function_rss_mb": {f: function_rss_mb(f)
                                      for f in ("inference", "compat", "management")}}
        for r in results:
            print(f"{r['path']:26s} p50 direct {r['direct_p50_ms']:.3f} ms, gateway "
                  f"{r['gateway_p50_ms']:.3f} ms, overhead {r['overhead_p50_ms']:.3f} ms | p99 "
                  f"overhead {r['overhead_p99_ms']:.3f} ms")
        print(f"throughput @16 clients: direct {direct_rps:.0f} rps, gateway {gateway_rps:.0f} rps")
        print(f"stream TTFB: direct {ttfb_direct:.2f} ms, gateway {ttfb_gateway:.2f} ms")
        print("gateway RSS (incl. embedded moto): "
              f"{report['gateway_rss_mb_incl_embedded_moto']} MB; "
              f"one function's process: {report['function_rss_mb']} MB")
        print(json.dumps(report, indent=2))
    finally:
        for p in (gateway, upstream):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
