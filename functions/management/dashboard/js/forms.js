// Form fields with labels, hints and an error slot each; `showErrors` puts the API's 7001
// messages next to the field their `path` names, and the rest at the top of the form.

import { h, fill } from "./dom.js";

let counter = 0;

/**
 * One labelled field. `type`: text | number | checkbox | select | textarea | password.
 * `name` is the API field path joined with dots (e.g. "spend_limits.enabled").
 */
export function field({ name, label, type = "text", value, hint, options, required, min, max, step, placeholder, autocomplete = "off" }) {
  const id = `f${++counter}`;
  const errId = `${id}-err`;
  const hintId = hint ? `${id}-hint` : null;
  const describedBy = [hintId, errId].filter(Boolean).join(" ");
  let input;
  const common = { id, name, "aria-describedby": describedBy, required: !!required };
  if (type === "checkbox") {
    input = h("input", { ...common, type: "checkbox", checked: !!value });
  } else if (type === "select") {
    input = h("select", common, options.map(([v, text]) => h("option", { value: v, selected: String(value ?? "") === String(v) }, text)));
  } else if (type === "textarea") {
    input = h("textarea", { ...common, rows: 4, placeholder, spellcheck: "false" });
    input.value = value ?? "";
  } else {
    input = h("input", { ...common, type, min, max, step, placeholder, autocomplete, spellcheck: "false" });
    input.value = value ?? "";
  }
  const wrap = h("div", { class: `field ${type === "checkbox" ? "check" : ""}`, dataset: { field: name } },
    type === "checkbox" ? [input, h("label", { for: id }, label)] : [h("label", { for: id }, label), input],
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    h("p", { class: "field-error", id: errId }));
  return wrap;
}

/** Read a field's value as the API wants it: numbers as numbers ("" -> null), checkboxes as booleans. */
export function value(form, name) {
  // Not form.elements: a field named "elements" (routes) shadows it.
  const el = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!el) return undefined;
  if (el.type === "checkbox") return el.checked;
  if (el.type === "number") return el.value === "" ? null : Number(el.value);
  return el.value;
}

/** Put each error next to its field (by its `path`), the rest in the form's top alert. */
export function showErrors(form, err) {
  clearErrors(form);
  const general = [];
  let first = null;
  for (const e of err.errors || []) {
    const path = (e.path || []).join(".");
    const slot = path && findField(form, path);
    const text = (e.message || "").replace(/^Input Validation Error: /, "");
    if (slot) {
      fill(slot.querySelector(".field-error"), text);
      const input = slot.querySelector("input, select, textarea");
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    } else {
      general.push(path ? `${path}: ${text}` : text);
    }
  }
  const top = form.querySelector(".form-error");
  if (general.length || !first) {
    fill(top, general.length ? general.join("; ") : err.explanation || err.message);
    top.hidden = false;
    top.focus();
  } else {
    first.focus();
  }
}

function findField(form, path) {
  // The deepest field whose name is a prefix of the path ("spend_limits.rules.0.limit").
  const parts = path.split(".");
  for (let n = parts.length; n > 0; n--) {
    const el = form.querySelector(`[data-field="${CSS.escape(parts.slice(0, n).join("."))}"]`);
    if (el) return el;
  }
  return null;
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((el) => fill(el));
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const top = form.querySelector(".form-error");
  if (top) { fill(top); top.hidden = true; }
}

/**
 * A form that calls `onSubmit(form)`; while it runs the submit button is busy, and an ApiError
 * it throws is shown with `showErrors`. `readOnly` disables every control.
 */
export function form({ label, fields, submit = "Save", onSubmit, readOnly = false, extra = [] }) {
  const top = h("p", { class: "note error form-error", role: "alert", tabindex: "-1", hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, submit);
  const fs = h("fieldset", { disabled: readOnly }, h("legend", { class: "sr-only" }, label), fields,
    readOnly ? null : h("div", { class: "actions" }, button, extra));
  const f = h("form", { "aria-label": label, novalidate: true }, top, fs);
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (readOnly) return;
    clearErrors(f);
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await onSubmit(f);
    } catch (err) {
      showErrors(f, err);
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
  return f;
}
