// Gateway tokens: create (the value is shown once, here, and nowhere else), list, revoke.

import { call, send } from "../api.js";
import { confirmThen, errorBox, fill, fmt, h, notify, table } from "../dom.js";
import { field, form, value } from "../forms.js";

export async function render(el, { session, isCurrent }) {
  const list = h("div");
  const reveal = h("div", { "aria-live": "polite" });
  const reload = async () => {
    const data = await call("GET", "/tokens", { query: { per_page: 100 } });
    if (!isCurrent()) return;
    fill(list, table("Tokens", ["Name", "Starts with", "Permissions", "Gateways", "Created", "Last used", ""],
      data.result.map((t) => [
        t.name, h("code", {}, `${t.prefix}…`), t.permissions.join(", "), t.gateways ? t.gateways.join(", ") : "all",
        fmt.date(t.created_at), fmt.date(t.last_used_at),
        session.canEdit ? h("button", { type: "button", class: "danger", onclick: () => revoke(t) }, "Revoke", h("span", { class: "sr-only" }, ` ${t.name}`)) : "",
      ]), { empty: "No tokens yet." }));
  };
  const revoke = (t) => confirmThen(`Revoke token “${t.name}”? Clients using it stop working within seconds.`, "Revoke",
    () => send("DELETE", `/tokens/${encodeURIComponent(t.id)}`), `Token ${t.name} revoked.`, reload);
  const create = form({
    label: "Create a token",
    submit: "Create token",
    fields: [
      field({ name: "name", label: "Name", required: true, placeholder: "ci" }),
      h("fieldset", { class: "group", "data-field": "permissions" }, h("legend", {}, "Permissions"),
        field({ name: "perm-run", label: "run — call gateways on the data plane", type: "checkbox", value: true }),
        field({ name: "perm-read", label: "read — see everything in this console", type: "checkbox", value: false }),
        field({ name: "perm-edit", label: "edit — change settings, keys, routes and tokens", type: "checkbox", value: false }),
        h("p", { class: "field-error" })),
      field({ name: "gateways", label: "Gateways (comma-separated; empty = all)", hint: "Tokens limited to some gateways may only have run." }),
    ],
    onSubmit: async (f) => {
      const permissions = ["run", "read", "edit"].filter((p) => value(f, `perm-${p}`));
      const gws = value(f, "gateways").split(",").map((s) => s.trim()).filter(Boolean);
      const t = await send("POST", "/tokens", { name: value(f, "name").trim(), permissions, gateways: gws.length ? gws : null });
      f.reset();
      showOnce(t);
      await reload();
    },
  });
  const showOnce = (t) => {
    const secret = t.value;
    t.value = null;
    const code = h("code", { class: "secret-once", id: "new-token-value" }, secret);
    fill(reveal, h("div", { class: "note warn", role: "alert" },
      h("p", {}, h("strong", {}, `Token “${t.name}” created. Copy it now: it is not shown again.`)),
      h("p", {}, code),
      h("div", { class: "actions" },
        h("button", { type: "button", onclick: async () => { await navigator.clipboard?.writeText(secret).catch(() => {}); notify("Copied."); } }, "Copy"),
        h("button", { type: "button", onclick: () => fill(reveal) }, "I have copied it — hide"))));
  };
  fill(el, h("h1", {}, "Tokens"),
    h("p", { class: "muted" }, "run tokens go in cf-aig-authorization on the data plane; read and edit tokens sign in here and call the management API."),
    reveal, list,
    session.canEdit ? h("section", { "aria-labelledby": "new-token" }, h("h2", { id: "new-token" }, "Create a token"), create) : null);
  try {
    await reload();
  } catch (err) {
    fill(list, errorBox(err));
  }
}
