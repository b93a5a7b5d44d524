// Limits: the gateway's rate limit and its spend rules (edit, add, remove), with what each rule
// has spent in its current window (`GET /gateways/{gw}/spend`, an aigw extension).

import { get } from "../api.js";
import { fill, fmt, h, notify } from "../dom.js";
import { field, form, value } from "../forms.js";
import { loadGateway, putGateway } from "../gateway_doc.js";

const list = (text) => text.split(",").map((s) => s.trim()).filter(Boolean);
const values = (m) => (m == null ? "" : typeof m === "string" ? m : (m.values || []).join(", "));

export async function render(el, { gateway, session }) {
  const gw = await loadGateway(gateway);
  const spent = await get(`/gateways/${encodeURIComponent(gateway)}/spend`).catch(() => null);
  const byRule = new Map((spent || []).map((s) => [s.rule_id, s]));
  const rate = form({
    label: "Rate limit",
    readOnly: !session.canEdit,
    submit: "Save rate limit",
    fields: [
      field({ name: "rate_limiting_limit", label: "Requests allowed per window (0 = off)", type: "number", value: gw.rate_limiting_limit ?? 0, min: 0 }),
      field({ name: "rate_limiting_interval", label: "Window (seconds)", type: "number", value: gw.rate_limiting_interval ?? 60, min: 0, max: 86400 }),
      field({ name: "rate_limiting_technique", label: "Technique", type: "select", value: gw.rate_limiting_technique ?? "fixed", options: [["fixed", "fixed (clock-aligned windows)"], ["sliding", "sliding (two-window estimate)"]] }),
    ],
    onSubmit: async (f) => {
      const changes = {};
      for (const k of ["rate_limiting_limit", "rate_limiting_interval", "rate_limiting_technique"]) changes[k] = value(f, k);
      Object.assign(gw, await putGateway(gw, changes));
      notify("Rate limit saved.");
    },
  });

  const rules = h("div");
  const ruleCount = () => rules.querySelectorAll("fieldset.rule").length;
  const addRule = (rule, index) => rules.append(ruleFields(rule, index, byRule.get(rule.id), !session.canEdit));
  (gw.spend_limits?.rules || []).forEach(addRule);
  const spend = form({
    label: "Spend limits",
    readOnly: !session.canEdit,
    submit: "Save spend limits",
    fields: [
      field({ name: "spend_limits.enabled", label: "Enforce spend limits", type: "checkbox", value: gw.spend_limits?.enabled }),
      rules,
      session.canEdit ? h("button", { type: "button", onclick: () => {
        addRule({ enabled: true, limit: 10, window: 86400, technique: "sliding" }, ruleCount());
        rules.lastElementChild.querySelector("input[type=number]").focus();
      } }, "Add a rule") : null,
    ],
    onSubmit: async (f) => {
      renumber(rules);
      const out = [...rules.querySelectorAll("fieldset.rule")].map((fs, i) => ruleFrom(f, fs, i));
      Object.assign(gw, await putGateway(gw, { spend_limits: { enabled: value(f, "spend_limits.enabled"), rules: out } }));
      notify("Spend limits saved.");
      await render(el, { gateway, session });
    },
  });
  fill(el, h("h2", {}, "Limits"),
    h("section", { "aria-labelledby": "rate-h" }, h("h3", { id: "rate-h" }, "Rate limit"), rate),
    h("section", { "aria-labelledby": "spend-h" }, h("h3", { id: "spend-h" }, "Spend limits (USD)"),
      h("p", { class: "muted" }, "Every rule whose filters match a request is checked before the upstream call; the answer's cost is charged to it."),
      spend));
}

function ruleFields(rule, i, usage, readOnly) {
  const p = `spend_limits.rules.${i}`;
  const fs = h("fieldset", { class: "group rule", dataset: { field: p, ruleId: rule.id || "" } },
    h("legend", {}, rule.id ? `Rule ${rule.id}` : "New rule"),
    usage ? spentMeter(usage, rule) : rule.id ? h("p", { class: "muted" }, "Spent in this window: not available.") : null,
    field({ name: `${p}.enabled`, label: "Enabled", type: "checkbox", value: rule.enabled !== false }),
    field({ name: `${p}.limit`, label: "Limit (USD)", type: "number", value: rule.limit, min: 0, step: "any" }),
    field({ name: `${p}.window`, label: "Window (seconds)", type: "number", value: rule.window, min: 0, hint: "e.g. 3600 = an hour, 86400 = a day." }),
    field({ name: `${p}.technique`, label: "Technique", type: "select", value: rule.technique || "sliding", options: [["sliding", "sliding"], ["fixed", "fixed"]] }),
    field({ name: `${p}.provider`, label: "Providers (comma-separated; empty = all)", value: values(rule.provider) }),
    field({ name: `${p}.model`, label: "Models (comma-separated; empty = all)", value: values(rule.model) }),
    field({ name: `${p}.metadata`, label: "Metadata filters (JSON, optional)", type: "textarea", value: rule.metadata ? JSON.stringify(rule.metadata) : "", hint: '{"team": {"mode": "partition"}} gives each team its own budget.' }),
    readOnly ? null : h("button", { type: "button", class: "danger", onclick: () => fs.remove() }, "Remove this rule"));
  fs._rule = rule;
  return fs;
}

function spentMeter(usage, rule) {
  if (usage.partitioned) return h("p", { class: "muted" }, "Spent in this window: counted separately for each metadata value.");
  const pct = rule.limit ? Math.min(100, (100 * usage.spent) / rule.limit) : 0;
  return h("div", { class: "field" },
    h("p", { class: "spent" }, `Spent in the current window: ${fmt.cost(usage.spent)} of ${fmt.cost(rule.limit)}`),
    h("div", { class: `meter ${pct >= 100 ? "over" : ""}`, role: "meter", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(pct), "aria-label": "Share of the limit spent" },
      bar(pct)));
}

function bar(pct) {
  const span = h("span");
  span.style.width = `${pct}%`; // CSSOM, which the page's CSP allows (style attributes it does not)
  return span;
}

/** After removals, give each rule's fields the index the API will report errors under. */
function renumber(rules) {
  rules.querySelectorAll("fieldset.rule").forEach((fs, i) => {
    const p = `spend_limits.rules.${i}`;
    fs.dataset.field = p;
    fs.querySelectorAll("[data-field]").forEach((el) => { el.dataset.field = el.dataset.field.replace(/^spend_limits\.rules\.\d+/, p); });
    fs.querySelectorAll("[name]").forEach((el) => el.setAttribute("name", el.name.replace(/^spend_limits\.rules\.\d+/, p)));
  });
}

function ruleFrom(f, fs, i) {
  // Inputs keep the names they were created with; read them through this fieldset.
  const get = (suffix) => {
    const el = fs.querySelector(`[name$=".${suffix}"]`);
    if (el.type === "checkbox") return el.checked;
    if (el.type === "number") return el.value === "" ? null : Number(el.value);
    return el.value;
  };
  const rule = { enabled: get("enabled"), limit: get("limit"), limitType: "cost", window: get("window"), technique: get("technique") };
  if (fs._rule.id) rule.id = fs._rule.id;
  const providers = list(get("provider"));
  const models = list(get("model"));
  if (providers.length) rule.provider = { mode: "filter", values: providers };
  if (models.length) rule.model = { mode: "filter", values: models };
  const meta = get("metadata").trim();
  if (meta) {
    try {
      rule.metadata = JSON.parse(meta);
    } catch {
      throw { errors: [{ message: "not valid JSON", path: ["spend_limits", "rules", i, "metadata"] }] };
    }
  }
  return rule;
}
