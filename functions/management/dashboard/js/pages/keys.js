// Provider keys (BYOK): add, rotate, delete. The secret is write-only: the API answers with a
// preview, and the console never puts a secret anywhere but the password field it was typed in.

import { call, send } from "../api.js";
import { confirmThen, errorBox, fill, fmt, h, notify, table } from "../dom.js";
import { field, form, value } from "../forms.js";

export const PROVIDERS = ["openai", "anthropic", "google-ai-studio", "google-vertex-ai", "aws-bedrock",
  "azure-openai", "workers-ai", "groq", "mistral", "cohere", "deepseek", "openrouter", "perplexity-ai",
  "grok", "cerebras", "huggingface", "replicate"];

const SECRET_HINT = "Write-only: after saving, only a preview is shown. AWS Bedrock takes JSON {accessKeyId, secretAccessKey, region}; Vertex a service-account key JSON.";

export async function render(el, { gateway, session, isCurrent }) {
  const base = `/gateways/${encodeURIComponent(gateway)}/provider_configs`;
  const list = h("div");
  const reload = async () => {
    const data = await call("GET", base, { query: { per_page: 100 } });
    if (!isCurrent()) return;
    fill(list, table("Stored provider keys", ["Provider", "Alias", "Key", "Default", "Key rate limit", "Added", ""],
      data.result.map((c) => [
        c.provider_slug, c.alias, h("code", {}, c.secret_preview || "••••"), c.default_config ? "yes" : "no",
        c.rate_limit ? `${c.rate_limit} / ${c.rate_limit_period || "?"} s` : "—", fmt.date(c.modified_at || c.created_at),
        session.canEdit ? h("div", { class: "row-actions" },
          h("button", { type: "button", onclick: (ev) => rotate(ev.currentTarget, c) }, "Rotate", h("span", { class: "sr-only" }, ` ${c.provider_slug} ${c.alias}`)),
          h("button", { type: "button", class: "danger", onclick: () => remove(c) }, "Delete", h("span", { class: "sr-only" }, ` ${c.provider_slug} ${c.alias}`))) : "",
      ]), { empty: "No stored keys: requests must bring their own provider credentials." }));
  };
  const remove = (c) => confirmThen(`Delete the ${c.provider_slug} key “${c.alias}”? Requests relying on it will fail.`, "Delete",
    () => send("DELETE", `${base}/${encodeURIComponent(c.id)}`), `Key ${c.provider_slug}/${c.alias} deleted.`, reload);
  const rotate = (button, c) => {
    const row = button.closest("tr");
    const cell = h("td", { colspan: 7 });
    const r = form({
      label: `Rotate ${c.provider_slug} ${c.alias}`,
      submit: "Save new secret",
      fields: [field({ name: "secret", label: `New secret for ${c.provider_slug} / ${c.alias}`, type: "password", required: true, autocomplete: "new-password" })],
      extra: [h("button", { type: "button", onclick: () => reload() }, "Cancel")],
      onSubmit: async (f) => {
        await send("PUT", `${base}/${encodeURIComponent(c.id)}`, { secret: value(f, "secret") });
        f.reset();
        notify(`Key ${c.provider_slug}/${c.alias} rotated.`);
        await reload();
      },
    });
    row.after(h("tr", { class: "inline-form" }, fill(cell, r)));
    r.querySelector("input").focus();
  };
  // The account's custom providers take keys too, as custom-{slug}.
  const custom = await call("GET", "/custom-providers", { query: { per_page: 100 } })
    .then((d) => d.result.map((p) => `custom-${p.slug}`), () => []);
  const add = form({
    label: "Add a provider key",
    submit: "Store key",
    fields: [
      field({ name: "provider_slug", label: "Provider", type: "select", value: "openai", options: [...PROVIDERS, ...custom].map((p) => [p, p]) }),
      field({ name: "alias", label: "Alias", value: "default", hint: "Requests pick it with cf-aig-byok-alias; “default” is used otherwise." }),
      field({ name: "secret", label: "Secret", type: "password", required: true, hint: SECRET_HINT, autocomplete: "new-password" }),
      field({ name: "default_config", label: "Default key for this provider", type: "checkbox", value: true }),
      field({ name: "rate_limit", label: "Requests allowed per period with this key (empty = no limit)", type: "number", min: 0 }),
      field({ name: "rate_limit_period", label: "Period (seconds)", type: "number", min: 0 }),
    ],
    onSubmit: async (f) => {
      const body = { provider_slug: value(f, "provider_slug"), alias: value(f, "alias").trim() || "default", secret: value(f, "secret"), default_config: value(f, "default_config") };
      for (const k of ["rate_limit", "rate_limit_period"]) if (value(f, k) !== null) body[k] = value(f, k);
      const saved = await send("POST", base, body);
      f.reset();
      notify(`Stored ${saved.provider_slug} key “${saved.alias}” (${saved.secret_preview}).`);
      await reload();
    },
  });
  fill(el, h("h2", {}, "Provider keys"), list,
    session.canEdit ? h("section", { "aria-labelledby": "add-key" }, h("h3", { id: "add-key" }, "Add a key"), add) : null);
  try {
    await reload();
  } catch (err) {
    fill(list, errorBox(err));
  }
}
