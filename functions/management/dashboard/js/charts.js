// Charts. Time series use uPlot (from npm, copied to vendor/ at build time, loaded only when a
// chart is first drawn); breakdowns by provider or model are small SVG bar charts drawn here.
// Every chart has a text alternative (aria-label with its figures) for screen readers.

import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
export const COLOURS = ["#0b57d0", "#b3261e", "#146c2e", "#8a4f00", "#6a1b9a", "#00695c", "#37474f"];

let uplotReady = null;

/** Load uPlot (script + CSS) once; resolves to the uPlot constructor. */
export function loadUPlot() {
  uplotReady ??= new Promise((resolve, reject) => {
    const css = h("link", { rel: "stylesheet", href: "dashboard/vendor/uPlot.min.css" });
    const js = h("script", { src: "dashboard/vendor/uPlot.iife.min.js" });
    js.addEventListener("load", () => resolve(window.uPlot));
    js.addEventListener("error", () => reject(new Error("the chart library did not load")));
    document.head.append(css, js);
  });
  return uplotReady;
}

/**
 * A time-series chart. `x`: unix seconds; `series`: [{label, values, colour?}].
 * `format(v)` renders axis and legend values. Returns the container element.
 */
export async function timeSeries(title, x, series, format = (v) => String(v)) {
  const uPlot = await loadUPlot();
  const box = h("figure", { class: "chart", role: "img", "aria-label": describe(title, x, series, format) },
    h("h3", {}, title));
  const width = () => Math.max(240, Math.min(560, document.getElementById("main").clientWidth - 48));
  const opts = {
    width: width(), height: 220,
    series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: s.colour || COLOURS[i % COLOURS.length], width: 2, points: { show: x.length < 50 }, value: (u, v) => (v == null ? "—" : format(v)) }))],
    axes: [{}, { values: (u, vals) => vals.map(format), size: 96 }],
    scales: { x: { time: true } },
    legend: { live: true },
  };
  const plot = new uPlot(opts, [x, ...series.map((s) => s.values)], box);
  box.plot = plot;
  const onResize = () => {
    if (!box.isConnected) return window.removeEventListener("resize", onResize);
    plot.setSize({ width: width(), height: 220 });
  };
  window.addEventListener("resize", onResize);
  return box;
}

function describe(title, x, series, format) {
  const parts = series.map((s) => {
    const total = s.values.reduce((a, v) => a + (v || 0), 0);
    const last = s.values.length ? s.values[s.values.length - 1] : null;
    return `${s.label}: latest ${last == null ? "none" : format(last)}, sum ${format(total)}`;
  });
  return `${title}, ${x.length} hourly points. ${parts.join("; ")}.`;
}

/** A horizontal bar chart of `[{label, value}]`, largest first, as SVG. */
export function bars(title, items, format = (v) => String(v)) {
  const sorted = [...items].sort((a, b) => b.value - a.value).slice(0, 12);
  const max = Math.max(...sorted.map((i) => i.value), 0) || 1;
  const rowH = 26;
  const labelW = 170;
  const w = 560;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${Math.max(1, sorted.length) * rowH + 6}`);
  svg.setAttribute("width", "100%");
  svg.setAttribute("aria-hidden", "true");
  sorted.forEach((item, i) => {
    const y = i * rowH + 4;
    const barW = Math.max(2, ((w - labelW - 120) * item.value) / max);
    svg.append(
      svgEl("text", { x: labelW - 8, y: y + 16, "text-anchor": "end" }, item.label.length > 24 ? item.label.slice(0, 23) + "…" : item.label),
      svgEl("rect", { x: labelW, y, width: barW, height: rowH - 8, fill: COLOURS[i % COLOURS.length], rx: 2 }),
      svgEl("text", { x: labelW + barW + 6, y: y + 16 }, format(item.value)));
  });
  const text = sorted.map((i) => `${i.label} ${format(i.value)}`).join(", ") || "no data";
  return h("figure", { class: "chart", role: "img", "aria-label": `${title}: ${text}` }, h("h3", {}, title),
    sorted.length ? svg : h("p", { class: "muted" }, "No data in this range."));
}

export function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}
