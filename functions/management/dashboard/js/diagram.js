// A dynamic route's elements drawn as a left-to-right graph (SVG): columns by distance from
// `start`, one box per element, one arrow per output labelled with its key. A list beside it
// says the same in words for screen readers.

import { svgEl } from "./charts.js";
import { h } from "./dom.js";

const COL_W = 210;
const ROW_H = 96;
const BOX_W = 168;
const BOX_H = 58;
const FILL = { start: "#e8f0fe", end: "#e8f0fe", model: "#eaf6ec", conditional: "#fff4d6", percentage: "#f3e8fd", rate: "#fdecea" };

/** The short text shown under an element's type. */
export function summary(el) {
  const p = el.properties || {};
  if (el.type === "model") return `${p.provider ?? "?"}/${p.model ?? "?"}`;
  if (el.type === "rate") return `${p.limit ?? "?"} ${p.limitType ?? ""} / ${p.window ?? "?"}s`;
  if (el.type === "conditional") return JSON.stringify(p.conditions ?? {}).slice(0, 26);
  return "";
}

const targets = (el) => Object.entries(el.outputs || {}).filter(([, o]) => o && o.elementId).map(([k, o]) => [k, o.elementId]);

/** `elements` -> {svg, text}: the drawing and its description. */
export function diagram(elements) {
  const byId = new Map(elements.map((e) => [e.id, e]));
  const start = elements.find((e) => e.type === "start") || elements[0];
  const depth = new Map();
  const queue = start ? [[start.id, 0]] : [];
  while (queue.length) {
    const [id, d] = queue.shift();
    if (depth.has(id) || !byId.has(id)) continue;
    depth.set(id, d);
    targets(byId.get(id)).forEach(([, t]) => queue.push([t, d + 1]));
  }
  let extra = Math.max(0, ...depth.values()) + 1;
  elements.forEach((e) => { if (!depth.has(e.id)) depth.set(e.id, extra++); }); // unreachable: shown apart
  const columns = new Map();
  const pos = new Map();
  elements.forEach((e) => {
    const d = depth.get(e.id);
    const row = columns.get(d) || 0;
    columns.set(d, row + 1);
    pos.set(e.id, { x: 16 + d * COL_W, y: 16 + row * ROW_H });
  });
  const width = 32 + (Math.max(...columns.keys()) + 1) * COL_W;
  const height = 32 + Math.max(...columns.values()) * ROW_H;
  const svg = svgEl("svg", { viewBox: `0 0 ${width} ${height}`, width, height, "aria-hidden": "true" });
  const defs = svgEl("defs", {});
  const marker = svgEl("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.append(svgEl("path", { d: "M0 0L10 5L0 10z", fill: "#50575f" }));
  defs.append(marker);
  svg.append(defs);
  const lines = [];
  for (const e of elements) {
    const a = pos.get(e.id);
    for (const [key, t] of targets(e)) {
      const b = pos.get(t);
      if (!b) continue;
      const x1 = a.x + BOX_W, y1 = a.y + BOX_H / 2, x2 = b.x, y2 = b.y + BOX_H / 2;
      const back = x2 <= x1;
      const d = back ? `M${x1} ${y1} C${x1 + 60} ${y1 + 70} ${x2 - 60} ${y2 + 70} ${x2} ${y2}` : `M${x1} ${y1} C${(x1 + x2) / 2} ${y1} ${(x1 + x2) / 2} ${y2} ${x2} ${y2}`;
      svg.append(svgEl("path", { d, fill: "none", stroke: "#50575f", "stroke-width": 1.5, "marker-end": "url(#arrow)" }));
      svg.append(svgEl("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, "text-anchor": "middle", class: "edge" }, key));
      lines.push(`${e.id} —${key}→ ${t}`);
    }
  }
  for (const e of elements) {
    const { x, y } = pos.get(e.id);
    const g = svgEl("g", { "data-element": e.id });
    g.append(svgEl("rect", { x, y, width: BOX_W, height: BOX_H, rx: 8, fill: FILL[e.type] || "#f5f6f8", stroke: "#50575f" }),
      svgEl("text", { x: x + 10, y: y + 22, "font-weight": 600 }, `${e.type} · ${e.id}`.slice(0, 24)),
      svgEl("text", { x: x + 10, y: y + 43 }, summary(e)));
    svg.append(g);
  }
  const text = h("ul", { class: "sr-only" }, elements.map((e) => h("li", {}, `${e.type} ${e.id}${summary(e) ? ` (${summary(e)})` : ""}`)), lines.map((l) => h("li", {}, l)));
  return h("figure", { class: "diagram", role: "group", "aria-label": "Route graph" }, svg, text);
}
