// Analytics: requests, errors, cache hit rate, tokens, cost and latency over a chosen range,
// hour by hour, and broken down by provider and by model — from the analytics endpoint's
// hourly roll-ups (`GET /gateways/{gw}/analytics?start&end&group_by`).

import { call } from "../api.js";
import { bars, timeSeries } from "../charts.js";
import { errorBox, fill, fmt, h } from "../dom.js";
import { field, form, value } from "../forms.js";

const RANGES = [["24", "Last 24 hours"], ["72", "Last 3 days"], ["168", "Last 7 days"], ["720", "Last 30 days"]];
const HOUR = 3600;

/** One roll-up row, whatever spelling the API uses for a figure. */
export function figures(row) {
  const n = (...keys) => {
    for (const k of keys) if (row[k] !== undefined && row[k] !== null) return Number(row[k]);
    return 0;
  };
  const requests = n("requests", "count");
  const latencySum = n("latency_sum", "duration_sum", "latency_ms_sum");
  return {
    requests, errors: n("errors", "error_count"), cacheHits: n("cache_hits", "cached"),
    tokensIn: n("tokens_in"), tokensOut: n("tokens_out"), cost: n("cost"),
    latency: row.latency_avg ?? row.avg_latency ?? row.duration_avg ?? (requests ? latencySum / requests : 0),
  };
}

const rowsOf = (result) => (Array.isArray(result) ? result : result?.rows || result?.data || result?.groups || []);
const hourOf = (row) => Math.floor(Date.parse(row.hour ?? row.time ?? row.timestamp ?? row.start) / 1000);

export async function render(el, { gateway, isCurrent }) {
  const out = h("div", { "aria-live": "polite" });
  const f = form({
    label: "Analytics range",
    submit: "Show",
    fields: h("div", { class: "filters" }, field({ name: "range", label: "Time range", type: "select", value: "24", options: RANGES })),
    onSubmit: () => draw(),
  });
  f.querySelector("[name=range]").addEventListener("change", () => draw());
  async function draw() {
    const hours = Number(value(f, "range"));
    const end = new Date(Math.ceil(Date.now() / (HOUR * 1000)) * HOUR * 1000);
    const start = new Date(end.getTime() - hours * HOUR * 1000);
    const base = `/gateways/${encodeURIComponent(gateway)}/analytics`;
    const q = (group_by) => call("GET", base, { query: { start: start.toISOString(), end: end.toISOString(), group_by } }).then((d) => rowsOf(d.result));
    try {
      const [byHour, byProvider, byModel] = await Promise.all([q("hour"), q("provider"), q("model")]);
      if (!isCurrent()) return;
      fill(out, ...(await charts(byHour, byProvider, byModel, start, hours)));
    } catch (err) {
      fill(out, errorBox(err));
    }
  }
  fill(el, h("h2", {}, "Analytics"), f, out);
  await draw();
}

async function charts(byHour, byProvider, byModel, start, hours) {
  // One point per hour of the range, zero where nothing happened.
  const x = Array.from({ length: hours }, (_, i) => Math.floor(start.getTime() / 1000) + i * HOUR);
  const at = new Map();
  for (const row of byHour) {
    const t = hourOf(row);
    const prev = at.get(t);
    const f = figures(row);
    at.set(t, prev ? merge(prev, f) : f);
  }
  const col = (pick, none = 0) => x.map((t) => (at.has(t) ? pick(at.get(t)) : none));
  const totals = [...at.values()].reduce(merge, figures({}));
  const kpis = h("ul", { class: "kpis", "aria-label": "Totals for the range" },
    [["Requests", fmt.int(totals.requests)], ["Errors", fmt.int(totals.errors)],
      ["Cache hit rate", totals.requests ? `${((100 * totals.cacheHits) / totals.requests).toFixed(1)}%` : "—"],
      ["Tokens", fmt.int(totals.tokensIn + totals.tokensOut)], ["Cost", fmt.cost(totals.cost)],
      ["Avg latency", totals.requests ? fmt.ms(totals.latency) : "—"]]
      .map(([k, v]) => h("li", {}, k, h("strong", { dataset: { kpi: k } }, v))));
  const grid = h("div", { class: "grid" },
    await timeSeries("Requests and errors", x, [{ label: "requests", values: col((r) => r.requests) }, { label: "errors", values: col((r) => r.errors) }], (v) => fmt.int(v)),
    await timeSeries("Cache hit rate", x, [{ label: "hit rate", values: col((r) => (r.requests ? (100 * r.cacheHits) / r.requests : null), null) }], (v) => `${Number(v).toFixed(0)}%`),
    await timeSeries("Tokens", x, [{ label: "in", values: col((r) => r.tokensIn) }, { label: "out", values: col((r) => r.tokensOut) }], (v) => fmt.int(v)),
    await timeSeries("Cost (USD)", x, [{ label: "cost", values: col((r) => r.cost) }], (v) => fmt.cost(v)),
    await timeSeries("Average latency", x, [{ label: "latency", values: col((r) => (r.requests ? r.latency : null), null) }], (v) => fmt.ms(v)),
    bars("Requests by provider", byProvider.map((r) => ({ label: r.provider ?? "unknown", value: figures(r).requests })), fmt.int),
    bars("Cost by provider", byProvider.map((r) => ({ label: r.provider ?? "unknown", value: figures(r).cost })), fmt.cost),
    bars("Requests by model", byModel.map((r) => ({ label: r.model ?? "unknown", value: figures(r).requests })), fmt.int),
    bars("Cost by model", byModel.map((r) => ({ label: r.model ?? "unknown", value: figures(r).cost })), fmt.cost));
  return [kpis, grid];
}

function merge(a, b) {
  const requests = a.requests + b.requests;
  return {
    requests, errors: a.errors + b.errors, cacheHits: a.cacheHits + b.cacheHits,
    tokensIn: a.tokensIn + b.tokensIn, tokensOut: a.tokensOut + b.tokensOut, cost: a.cost + b.cost,
    latency: requests ? (a.latency * a.requests + b.latency * b.requests) / requests : 0,
  };
}
