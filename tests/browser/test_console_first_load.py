"""How fast the console's first page appears on a cold load, and how many bytes it costs.

First contentful paint comes from the browser's Paint Timing API; bytes are the `transferSize`
of the document and every resource it loaded (compressed bytes on the wire, headers included).
The figures are written to tests/browser/output/first-load.json for the README; the bounds here
only catch a regression by an order of magnitude (a framework or an eager chart library).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.browser.conftest import LAPTOP, OUTPUT, Console, create_gateway, sign_in

MEASURE = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const res = performance.getEntriesByType("resource");
  const fcp = performance.getEntriesByName("first-contentful-paint")[0];
  return {
    fcp_ms: fcp ? fcp.startTime : null,
    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
    transfer_bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0),
    decoded_bytes: nav.decodedBodySize + res.reduce((a, r) => a + r.decodedBodySize, 0),
    requests: 1 + res.length,
    files: [nav.name, ...res.map((r) => r.name)].map((u) => new URL(u).pathname),
  };
}"""


def test_first_load_is_small_and_paints_fast(browser: Any, console: Console) -> None:
    runs = []
    for _ in range(3):
        context = browser.new_context(viewport=LAPTOP)  # cold: an empty HTTP cache each time
        page = context.new_page()
        page.goto(console.url, wait_until="networkidle")
        page.get_by_role("button", name="Sign in").wait_for()
        runs.append(page.evaluate(MEASURE))
        context.close()
    best = min(runs, key=lambda r: r["fcp_ms"])
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "first-load.json").write_text(json.dumps({"runs": runs}, indent=2))
    assert all(r["fcp_ms"] is not None for r in runs)
    # No chart library on the sign-in page: pages and uPlot load when first needed.
    assert not any("vendor" in f or "/pages/" in f for f in best["files"]), best["files"]
    assert best["transfer_bytes"] < 40_000, best
    assert best["fcp_ms"] < 1_500, runs


def test_analytics_page_loads_its_chart_library_on_first_visit(page: Any, console: Console,
                                                                account: str) -> None:
    create_gateway(console, account, "measured")
    sign_in(page, console, account)
    before = page.evaluate(MEASURE)
    page.goto(f"{console.url}#/gw/measured/analytics")
    page.get_by_role("img", name=re.compile("^Requests and errors")).wait_for()
    page.wait_for_load_state("networkidle")
    after = page.evaluate(MEASURE)
    added = {"transfer_bytes": after["transfer_bytes"] - before["transfer_bytes"],
             "requests": after["requests"] - before["requests"],
             "files": [f for f in after["files"] if f not in before["files"]]}
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "analytics-load.json").write_text(json.dumps(added, indent=2))
    assert any(f.endswith("uPlot.iife.min.js") for f in added["files"]), added
    assert added["transfer_bytes"] < 80_000, added
