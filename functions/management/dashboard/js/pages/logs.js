// Logs: the list with the API's filters, search, ordering and paging (newest first), and one
// log's detail: its fields, request and response bodies pretty-printed (streams as text), and
// feedback (thumbs) and score.

import { call, getText, send } from "../api.js";
import { errorBox, fill, fmt, h, link, notify, pretty, table } from "../dom.js";
import { field, form, value } from "../forms.js";
import { pager } from "./gateways.js";

const PER_PAGE = 20;
const ORDER_BY = [["created_at", "Time"], ["cost", "Cost"], ["duration", "Duration"], ["tokens_in", "Tokens in"],
  ["tokens_out", "Tokens out"], ["provider", "Provider"], ["model", "Model"], ["success", "Success"], ["feedback", "Feedback"]];
const TRI = [["", "any"], ["true", "yes"], ["false", "no"]];

export async function render(el, where) {
  if (where.rest[0]) return renderDetail(el, where);
  return renderList(el, where);
}

/** datetime-local ("2026-11-30T10:00") -> ISO 8601 in UTC, or undefined. */
const iso = (local) => (local ? new Date(local).toISOString() : undefined);

function renderList(el, { gateway, isCurrent }) {
  const base = `/gateways/${encodeURIComponent(gateway)}/logs`;
  const results = h("div", { "aria-live": "polite" });
  let page = 1;
  const filters = form({
    label: "Filter logs",
    submit: "Apply",
    fields: h("div", { class: "filters" },
      field({ name: "search", label: "Search", type: "search", placeholder: "model, provider, path, metadata" }),
      field({ name: "provider", label: "Provider" }),
      field({ name: "model", label: "Model" }),
      field({ name: "success", label: "Succeeded", type: "select", value: "", options: TRI }),
      field({ name: "cached", label: "From cache", type: "select", value: "", options: TRI }),
      field({ name: "feedback", label: "Feedback", type: "select", value: "", options: [["", "any"], ["1", "good"], ["-1", "bad"]] }),
      field({ name: "min_cost", label: "Cost at least (USD)", type: "number", min: 0, step: "any" }),
      field({ name: "start_date", label: "From", type: "datetime-local" }),
      field({ name: "end_date", label: "To", type: "datetime-local" }),
      field({ name: "order_by", label: "Order by", type: "select", value: "created_at", options: ORDER_BY }),
      field({ name: "order_by_direction", label: "Direction", type: "select", value: "desc", options: [["desc", "descending"], ["asc", "ascending"]] })),
    extra: [h("button", { type: "button", onclick: () => load() }, "Refresh")],
    onSubmit: async () => { page = 1; await load(); },
  });
  const query = () => {
    const q = { page, per_page: PER_PAGE };
    for (const k of ["search", "provider", "model", "success", "cached", "feedback", "order_by", "order_by_direction"]) q[k] = value(filters, k).trim();
    q.min_cost = value(filters, "min_cost") ?? undefined;
    q.start_date = iso(value(filters, "start_date"));
    q.end_date = iso(value(filters, "end_date"));
    return q;
  };
  async function load() {
    try {
      const data = await call("GET", base, { query: query() });
      if (!isCurrent()) return;
      const total = data.result_info?.total_count ?? data.result.length;
      fill(results,
        h("p", { class: "muted" }, `${fmt.int(total)} log${total === 1 ? "" : "s"}`),
        table("Logs", ["Time", "Result", "Provider", "Model", "Tokens in / out", "Cost", "Duration", "Cache"],
          data.result.map((l) => [
            h("a", { href: link("gw", gateway, "logs", l.id) }, fmt.date(l.created_at)),
            h("span", { class: l.success ? "pass" : "fail" }, `${l.success ? "ok" : "failed"} ${l.status_code ?? ""}`),
            l.provider ?? "—", l.model ?? "—",
            `${fmt.int(l.tokens_in)} / ${fmt.int(l.tokens_out)}`,
            h("span", { class: "num" }, fmt.cost(l.cost)), fmt.ms(l.duration), l.cached ? "hit" : "—",
          ]), { empty: "No logs match. Send a request through the gateway, then Refresh." }),
        pager(page, Math.max(1, Math.ceil(total / PER_PAGE)), (p) => { page = p; load(); }));
    } catch (err) {
      fill(results, errorBox(err));
    }
  }
  fill(el, h("h2", {}, "Logs"), filters, results);
  return load();
}

async function renderDetail(el, { gateway, rest, session }) {
  const id = rest[0];
  const base = `/gateways/${encodeURIComponent(gateway)}/logs/${encodeURIComponent(id)}`;
  const log = (await call("GET", base)).result;
  const rows = [
    ["Time", fmt.date(log.created_at)], ["Log id", log.id], ["Event id", log.event_id],
    ["Result", `${log.success ? "succeeded" : "failed"} (HTTP ${log.status_code ?? "—"})`],
    ["Provider", log.provider], ["Model", log.model], ["Model type", log.model_type], ["Path", log.path],
    ["Request type", log.request_type], ["Step", log.step],
    ["Tokens in / out", `${fmt.int(log.tokens_in)} / ${fmt.int(log.tokens_out)}`],
    ["Cost", fmt.cost(log.cost) + (log.custom_cost ? " (custom)" : "")], ["Duration", fmt.ms(log.duration)],
    ["Time to first byte", fmt.ms(log.time_to_first_byte)], ["Cache", log.cached ? "hit" : "miss"],
    ["Request", `${log.request_content_type ?? "—"}, ${fmt.int(log.request_size)} bytes`],
    ["Response", `${log.response_content_type ?? "—"}, ${fmt.int(log.response_size)} bytes`],
    ["Metadata", log.metadata ? pretty(log.metadata) : "—"],
  ];
  const bodies = h("div", {}, h("p", { class: "muted" }, "Loading bodies…"));
  fill(el,
    h("p", {}, h("a", { href: link("gw", gateway, "logs") }, "← All logs")),
    h("h2", {}, `Log ${id}`),
    h("dl", { class: "meta" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "—")])),
    feedbackForm(base, log, session.canEdit),
    bodies);
  const [req, resp] = await Promise.all([body(`${base}/request`), body(`${base}/response`)]);
  fill(bodies,
    h("h3", { id: "req-body" }, "Request body"), req(log.request_head_complete === false),
    h("h3", { id: "resp-body" }, "Response body"), resp(log.response_head_complete === false));
}

function body(path) {
  return getText(path).then(
    (text) => (truncated) => [
      h("pre", { class: "body", tabindex: "0", "aria-label": path.endsWith("request") ? "Request body" : "Response body" }, pretty(text) || "(empty)"),
      truncated ? h("p", { class: "muted" }, "Only the beginning of this body was stored.") : null,
    ],
    (err) => () => (err.status === 404 ? h("p", { class: "muted" }, "Not stored (payload logging off, or nothing was sent).") : errorBox(err)));
}

function feedbackForm(base, log, canEdit) {
  let feedback = log.feedback ?? null;
  const thumbs = [[1, "▲ Good", "Good answer"], [-1, "▼ Bad", "Bad answer"]].map(([v, icon, label]) =>
    h("button", { type: "button", "aria-pressed": String(feedback === v), "aria-label": label, disabled: !canEdit, onclick: (ev) => {
      feedback = feedback === v ? null : v;
      thumbs.forEach((b, i) => b.setAttribute("aria-pressed", String(feedback === [1, -1][i])));
      ev.currentTarget.focus();
    } }, icon));
  return form({
    label: "Feedback",
    submit: "Save feedback",
    readOnly: !canEdit,
    fields: [
      h("h3", {}, "Feedback"),
      h("div", { class: "feedback", role: "group", "aria-label": "Thumbs" }, thumbs),
      field({ name: "score", label: "Score (a number, empty = none)", type: "number", value: log.score, step: "any" }),
    ],
    onSubmit: async (f) => {
      await send("PATCH", base, { feedback, score: value(f, "score") });
      notify("Feedback saved.");
    },
  });
}
