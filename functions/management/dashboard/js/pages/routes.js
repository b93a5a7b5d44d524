// Dynamic routes: the list, create; one route's versions, new version, deploy and rollback
// (deploying an older version), and the deployed graph drawn as a diagram.

import { call } from "../api.js";
import { diagram } from "../diagram.js";
import { confirmDialog, errorBox, fill, fmt, h, link, notify, pretty, table } from "../dom.js";
import { field, form, value } from "../forms.js";

/** The object in a routes-API answer, whichever envelope it came in (spec: these differ). */
const unwrap = (d) => d.result ?? d.route ?? d.version ?? d.deployment ?? d.data ?? d;

export const EXAMPLE = [
  { id: "start", type: "start", outputs: { next: { elementId: "primary" } } },
  { id: "primary", type: "model", properties: { provider: "openai", model: "gpt-4o-mini", timeout: 10000, retries: 1 }, outputs: { success: { elementId: "end" }, fallback: { elementId: "backup" } } },
  { id: "backup", type: "model", properties: { provider: "anthropic", model: "claude-sonnet-4-5", timeout: 10000, retries: 1 }, outputs: { success: { elementId: "end" } } },
  { id: "end", type: "end", outputs: {} },
];

export async function render(el, where) {
  if (where.rest[0]) return renderRoute(el, where);
  return renderList(el, where);
}

async function renderList(el, { gateway, session }) {
  const base = `/gateways/${encodeURIComponent(gateway)}/routes`;
  const data = unwrap(await call("GET", base, { query: { per_page: 100 } }));
  const routes = data.routes || [];
  const create = form({
    label: "Create a route",
    submit: "Create route",
    fields: [
      field({ name: "name", label: "Name", required: true, hint: 'Clients call it as model "dynamic/{name}".' }),
      field({ name: "elements", label: "Elements (JSON)", type: "textarea", value: JSON.stringify(EXAMPLE, null, 2) }),
    ],
    onSubmit: async (f) => {
      const route = unwrap(await call("POST", base, { body: { name: value(f, "name").trim(), elements: parseElements(value(f, "elements")) } }));
      notify(`Route ${route.name} created and deployed.`);
      location.hash = link("gw", gateway, "routes", route.id);
    },
  });
  fill(el, h("h2", {}, "Routes"),
    table("Routes", ["Name", "Model to call", "Deployed version", "Modified"], routes.map((r) => [
      h("a", { href: link("gw", gateway, "routes", r.id) }, r.name), h("code", {}, `dynamic/${r.name}`),
      r.deployment?.version_id ?? "—", fmt.date(r.modified_at),
    ]), { empty: "No routes. A route sends each request through conditions, splits, budgets and fallbacks to a model." }),
    session.canEdit ? h("section", { "aria-labelledby": "new-route" }, h("h3", { id: "new-route" }, "Create a route"), create) : null);
}

function parseElements(text) {
  try {
    return JSON.parse(text);
  } catch {
    throw { errors: [{ message: "not valid JSON", path: ["elements"] }] };
  }
}

async function renderRoute(el, { gateway, rest, session, isCurrent }) {
  const base = `/gateways/${encodeURIComponent(gateway)}/routes/${encodeURIComponent(rest[0])}`;
  const [route, versionsData, deploymentsData] = await Promise.all([
    call("GET", base).then(unwrap), call("GET", `${base}/versions`).then(unwrap), call("GET", `${base}/deployments`).then(unwrap)]);
  if (!isCurrent()) return;
  const versions = [...(versionsData.versions || [])].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const deployments = [...(deploymentsData.deployments || [])].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const live = route.deployment?.version_id ?? deployments[0]?.version_id;
  const liveVersion = versions.find((v) => v.version_id === live) || route.version;
  const elementsOf = (v) => {
    const d = v?.data ?? v?.elements ?? route.elements;
    return typeof d === "string" ? JSON.parse(d) : Array.isArray(d) ? d : d?.elements || route.elements || [];
  };
  const deploy = async (v) => {
    const older = live && versions.findIndex((x) => x.version_id === v.version_id) > versions.findIndex((x) => x.version_id === live);
    if (older && !(await confirmDialog(`Roll back “${route.name}” to version ${v.version_id}? It takes effect within seconds.`, "Roll back"))) return;
    try {
      await call("POST", `${base}/deployments`, { body: { version_id: v.version_id } });
      notify(`Version ${v.version_id} is live.`);
      await renderRoute(el, { gateway, rest, session, isCurrent });
    } catch (err) {
      notify(err.explanation || err.message, "error");
    }
  };
  const newVersion = form({
    label: "New version",
    submit: "Create version",
    fields: [field({ name: "elements", label: "Elements (JSON)", type: "textarea", value: JSON.stringify(elementsOf(liveVersion), null, 2), hint: "A new version is not live until you deploy it." })],
    onSubmit: async (f) => {
      const v = unwrap(await call("POST", `${base}/versions`, { body: { elements: parseElements(value(f, "elements")) } }));
      notify(`Version ${v.version_id} created; deploy it to make it live.`);
      await renderRoute(el, { gateway, rest, session, isCurrent });
    },
  });
  fill(el,
    h("p", {}, h("a", { href: link("gw", gateway, "routes") }, "← All routes")),
    h("h2", {}, `Route ${route.name}`),
    h("p", {}, "Call it with ", h("code", {}, `"model": "dynamic/${route.name}"`), ` · live version: `, h("strong", { id: "live-version" }, live ?? "none")),
    h("h3", {}, "Deployed graph"),
    diagram(elementsOf(liveVersion)),
    h("h3", {}, "Versions"),
    table("Versions", ["Version", "Created", "State", ""], versions.map((v) => [
      v.version_id, fmt.date(v.created_at), v.version_id === live ? h("strong", {}, "live") : "—",
      session.canEdit && v.version_id !== live ? h("button", { type: "button", onclick: () => deploy(v) }, "Deploy", h("span", { class: "sr-only" }, ` version ${v.version_id}`)) : "",
    ])),
    h("h3", {}, "Deployments"),
    table("Deployments", ["When", "Version"], deployments.map((d) => [fmt.date(d.created_at), d.version_id])),
    session.canEdit ? h("section", { "aria-labelledby": "new-version" }, h("h3", { id: "new-version" }, "New version"), newVersion) : null,
    h("details", {}, h("summary", {}, "Live version as JSON"), h("pre", { class: "body", tabindex: "0" }, pretty(elementsOf(liveVersion)))));
}
