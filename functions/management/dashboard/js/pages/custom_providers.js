// Custom providers: OpenAI-style upstreams of this account, called as `custom-{slug}`.
// Header values are write-only like keys: the API shows previews.

import { call, send } from "../api.js";
import { confirmThen, errorBox, fill, h, notify, table } from "../dom.js";
import { field, form, value } from "../forms.js";

export async function render(el, { session, isCurrent }) {
  const list = h("div");
  const reload = async () => {
    const data = await call("GET", "/custom-providers", { query: { per_page: 100 } });
    if (!isCurrent()) return;
    fill(list, table("Custom providers", ["Name", "Data-plane slug", "Base URL", "Enabled", "Headers", ""],
      data.result.map((p) => [
        p.name, h("code", {}, `custom-${p.slug}`), p.base_url, p.enable ? "yes" : "no",
        p.headers ? Object.keys(JSON.parse(p.headers)).join(", ") : "—",
        session.canEdit ? h("button", { type: "button", class: "danger", onclick: () => remove(p) }, "Delete", h("span", { class: "sr-only" }, ` ${p.name}`)) : "",
      ]), { empty: "No custom providers." }));
  };
  const remove = (p) => confirmThen(`Delete custom provider “${p.name}”?`, "Delete",
    () => send("DELETE", `/custom-providers/${encodeURIComponent(p.id)}`), `Custom provider ${p.name} deleted.`, reload);
  const add = form({
    label: "Add a custom provider",
    submit: "Add provider",
    fields: [
      field({ name: "name", label: "Name", required: true }),
      field({ name: "slug", label: "Slug", required: true, hint: "Lowercase letters, digits and dashes; requests use custom-{slug}." }),
      field({ name: "base_url", label: "Base URL", required: true, placeholder: "https://llm.example.com/v1", hint: "https only; the client's path is appended." }),
      field({ name: "enable", label: "Enabled", type: "checkbox", value: true }),
      field({ name: "headers", label: "Extra headers (JSON object, write-only)", type: "textarea", hint: 'e.g. {"x-api-key": "…"}; values are shown as previews only.' }),
    ],
    onSubmit: async (f) => {
      const body = { name: value(f, "name").trim(), slug: value(f, "slug").trim(), base_url: value(f, "base_url").trim(), enable: value(f, "enable") };
      if (value(f, "headers").trim()) body.headers = value(f, "headers");
      const p = await send("POST", "/custom-providers", body);
      f.reset();
      notify(`Custom provider ${p.name} added.`);
      await reload();
    },
  });
  fill(el, h("h1", {}, "Custom providers"), list,
    session.canEdit ? h("section", { "aria-labelledby": "add-cp" }, h("h2", { id: "add-cp" }, "Add a custom provider"), add) : null);
  try {
    await reload();
  } catch (err) {
    fill(list, errorBox(err));
  }
}
