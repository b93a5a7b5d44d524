// Gateways: the list (search, paging), create, every setting, delete with confirmation.

import { call, send } from "../api.js";
import { confirmDialog, errorBox, fill, fmt, h, link, notify, table } from "../dom.js";
import { field, form, showErrors, value } from "../forms.js";
import { loadGateway, putGateway } from "../gateway_doc.js";

const PER_PAGE = 20;

export async function render(el, where) {
  if (where.gateway) return renderSettings(el, where);
  if (where.rest[0] === "new") return renderCreate(el, where);
  return renderList(el, where);
}

async function renderList(el, { session, isCurrent }) {
  const search = h("input", { id: "gw-search", type: "search", name: "search", placeholder: "id contains…" });
  const results = h("div", { "aria-live": "polite" });
  let page = 1;
  const load = async () => {
    try {
      const data = await call("GET", "/gateways", { query: { page, per_page: PER_PAGE, search: search.value.trim() } });
      if (!isCurrent()) return;
      const info = data.result_info || { total_count: data.result.length };
      const pages = Math.max(1, Math.ceil(info.total_count / PER_PAGE));
      fill(results,
        table("Gateways", ["Gateway", "Logs", "Cache TTL", "Authentication", "Rate limit", "Created"],
          data.result.map((g) => [
            h("a", { href: link("gw", g.id, "analytics") }, g.id),
            g.collect_logs ? "on" : "off",
            g.cache_ttl ? `${g.cache_ttl} s` : "off",
            g.authentication ? "required" : "off",
            g.rate_limiting_limit ? `${g.rate_limiting_limit} / ${g.rate_limiting_interval} s` : "off",
            fmt.date(g.created_at),
          ]), { empty: search.value ? "No gateway matches." : "No gateways yet. Create one to get a URL for your SDK." }),
        pager(page, pages, (p) => { page = p; load(); }));
    } catch (err) {
      fill(results, errorBox(err));
    }
  };
  search.addEventListener("input", () => { page = 1; clearTimeout(search._t); search._t = setTimeout(load, 250); });
  fill(el,
    h("div", { class: "head" }, h("h1", {}, "Gateways"),
      session.canEdit ? h("a", { class: "button primary", href: "#/gateways/new" }, "Create gateway") : null),
    h("div", { class: "field inline" }, h("label", { for: "gw-search" }, "Search"), search),
    results);
  await load();
}

export function pager(page, pages, go) {
  if (pages <= 1) return null;
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", disabled: page <= 1, onclick: () => go(page - 1) }, "← Newer"),
    h("span", {}, `Page ${page} of ${pages}`),
    h("button", { type: "button", disabled: page >= pages, onclick: () => go(page + 1) }, "Older →"));
}

const ID_HINT = "Lowercase letters, digits, _ and single dashes; up to 64 characters. It becomes part of the URL.";

function renderCreate(el, { session }) {
  const f = form({
    label: "Create gateway",
    submit: "Create gateway",
    readOnly: !session.canEdit,
    fields: [
      field({ name: "id", label: "Gateway id", required: true, hint: ID_HINT, placeholder: "my-gateway" }),
      field({ name: "collect_logs", label: "Collect logs", type: "checkbox", value: true }),
      field({ name: "authentication", label: "Require a run token (cf-aig-authorization)", type: "checkbox", value: false }),
      field({ name: "cache_ttl", label: "Cache TTL (seconds, 0 = off)", type: "number", value: 0, min: 0 }),
      field({ name: "cache_invalidate_on_update", label: "Drop cached answers when the gateway changes", type: "checkbox", value: false }),
      field({ name: "rate_limiting_limit", label: "Rate limit (requests, 0 = off)", type: "number", value: 0, min: 0 }),
      field({ name: "rate_limiting_interval", label: "Rate limit window (seconds)", type: "number", value: 60, min: 0 }),
    ],
    onSubmit: async (f) => {
      const body = {};
      for (const k of ["id", "collect_logs", "authentication", "cache_ttl", "cache_invalidate_on_update", "rate_limiting_limit", "rate_limiting_interval"]) body[k] = value(f, k);
      body.id = body.id.trim();
      const gw = await send("POST", "/gateways", body);
      notify(`Gateway ${gw.id} created.`);
      location.hash = link("gw", gw.id, "keys");
    },
  });
  fill(el, h("h1", {}, "Create gateway"), f);
  f.querySelector("[name=id]").focus();
}

async function renderSettings(el, { gateway, session }) {
  const gw = await loadGateway(gateway);
  const urlBox = h("code", { class: "url" }, "…");
  send("GET", `/gateways/${encodeURIComponent(gateway)}/url/openai`).then((u) => fill(urlBox, String(u)), () => fill(urlBox, "—"));
  const f = form({
    label: "Gateway settings",
    readOnly: !session.canEdit,
    fields: [
      h("h3", {}, "Caching and logs"),
      field({ name: "cache_ttl", label: "Cache TTL (seconds, 0 = off)", type: "number", value: gw.cache_ttl ?? 0, min: 0, hint: "Up to 2,592,000 (30 days)." }),
      field({ name: "cache_invalidate_on_update", label: "Drop cached answers when the gateway changes", type: "checkbox", value: gw.cache_invalidate_on_update }),
      field({ name: "collect_logs", label: "Collect logs", type: "checkbox", value: gw.collect_logs }),
      field({ name: "log_management", label: "Keep at most this many logs (empty = no limit)", type: "number", value: gw.log_management, min: 10000, max: 10000000, hint: "10,000 to 10,000,000." }),
      field({ name: "log_management_strategy", label: "When the log limit is reached", type: "select", value: gw.log_management_strategy ?? "", options: [["", "—"], ["STOP_INSERTING", "Stop storing new logs"], ["DELETE_OLDEST", "Delete the oldest logs"]] }),
      h("h3", {}, "Access"),
      field({ name: "authentication", label: "Require a run token (cf-aig-authorization)", type: "checkbox", value: gw.authentication }),
      field({ name: "byok_only", label: "Only use stored provider keys (BYOK only)", type: "checkbox", value: gw.byok_only }),
      h("h3", {}, "Retries"),
      field({ name: "retry_max_attempts", label: "Maximum attempts", type: "number", value: gw.retry_max_attempts ?? 1, min: 1, max: 5, hint: "1 to 5; retried on connection errors, timeouts, 429 and 5xx." }),
      field({ name: "retry_delay", label: "Delay between attempts (ms)", type: "number", value: gw.retry_delay ?? 0, min: 0, max: 5000 }),
      field({ name: "retry_backoff", label: "Backoff", type: "select", value: gw.retry_backoff ?? "constant", options: [["constant", "constant"], ["linear", "linear"], ["exponential", "exponential"]] }),
      h("h3", {}, "OpenTelemetry export"),
      field({ name: "otel", label: "Exporters (JSON list)", type: "textarea", value: gw.otel ? JSON.stringify(gw.otel, null, 2) : "", hint: 'e.g. [{"url": "https://otel.example.com/v1/traces", "headers": {}, "content_type": "json"}]; empty = none.' }),
    ],
    onSubmit: async (f) => {
      const changes = {};
      for (const k of ["cache_ttl", "cache_invalidate_on_update", "collect_logs", "log_management", "authentication", "byok_only", "retry_max_attempts", "retry_delay", "retry_backoff"]) changes[k] = value(f, k);
      changes.log_management_strategy = value(f, "log_management_strategy") || null;
      const otel = value(f, "otel").trim();
      try {
        changes.otel = otel ? JSON.parse(otel) : null;
      } catch {
        throw { errors: [{ message: "not valid JSON", path: ["otel"] }] };
      }
      Object.assign(gw, await putGateway(gw, changes));
      notify("Settings saved.");
    },
  });
  const del = h("button", { type: "button", class: "danger", onclick: async () => {
    if (!(await confirmDialog(`Delete gateway “${gateway}” with its stored keys and logs? This cannot be undone.`, "Delete gateway"))) return;
    try {
      await send("DELETE", `/gateways/${encodeURIComponent(gateway)}`);
      notify(`Gateway ${gateway} deleted.`);
      location.hash = "#/gateways";
    } catch (err) {
      showErrors(f, err);
    }
  } }, "Delete gateway");
  fill(el, h("h2", {}, "Settings"),
    h("p", {}, "OpenAI base URL for SDKs: ", urlBox),
    h("p", { class: "muted" }, `Created ${fmt.date(gw.created_at)} · modified ${fmt.date(gw.modified_at)}`),
    f,
    session.canEdit ? h("section", { class: "danger-zone", "aria-label": "Danger zone" }, h("h3", {}, "Delete"), del) : null);
}
