// Tiny DOM helpers. Text always goes in through text nodes (never parsed as markup), so nothing the
// API returns — a log body, a gateway name — can become markup or script.

/**
 * h("button", {class: "primary", onclick: fn}, "Save") -> element.
 * Attributes: `on*` functions become listeners, `true` booleans present, false/null omitted.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace everything inside `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A console URL: link("gw", "prod", "logs") -> "#/gw/prod/logs". */
export const link = (...parts) => "#/" + parts.map(encodeURIComponent).join("/");

const statusEl = () => document.getElementById("status");

/** Tell the user something in the live region (screen readers announce it). */
export function notify(message, kind = "ok") {
  const el = statusEl();
  fill(el, h("p", { class: `note ${kind}` }, message));
  if (kind === "ok") setTimeout(() => { if (el.textContent === message) fill(el); }, 6000);
}

export function clearNotice() {
  fill(statusEl());
}

/** An error banner for a failed call, inside the page (role=alert so it is read out). */
export function errorBox(err) {
  return h("div", { class: "note error", role: "alert" }, err.explanation || err.message || String(err));
}

/** A modal confirmation (<dialog>: focus is trapped and Escape cancels). Resolves true/false. */
export function confirmDialog(question, confirmLabel = "Delete") {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "confirm", "aria-label": "Confirm" },
      h("p", {}, question),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "danger", value: "yes", onclick: () => dlg.close("yes") }, confirmLabel),
        h("button", { type: "button", value: "no", onclick: () => dlg.close("no") }, "Cancel")));
    dlg.addEventListener("close", () => { dlg.remove(); resolve(dlg.returnValue === "yes"); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector("button[value=no]").focus();
  });
}

/**
 * Ask, then run `action` (an API call); on success say `done` and run `after` (e.g. reload),
 * on failure show the API's message. Used by every delete/revoke button.
 */
export async function confirmThen(question, label, action, done, after) {
  if (!(await confirmDialog(question, label))) return;
  try {
    await action();
    notify(done);
    await after?.();
  } catch (err) {
    notify(err.explanation || err.message, "error");
  }
}

export const fmt = {
  date(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  },
  cost(v) {
    if (v === null || v === undefined) return "—";
    const n = Number(v);
    return n === 0 ? "$0" : n < 0.01 ? `$${n.toPrecision(3)}` : `$${n.toFixed(4)}`;
  },
  int(v) {
    return v === null || v === undefined ? "—" : Number(v).toLocaleString();
  },
  ms(v) {
    return v === null || v === undefined ? "—" : `${Math.round(Number(v)).toLocaleString()} ms`;
  },
};

/** A table with a caption, headers and rows of cells (strings or nodes). */
export function table(caption, headers, rows, { empty = "Nothing here yet." } = {}) {
  if (!rows.length) return h("p", { class: "muted empty" }, empty);
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", { class: "sr-only" }, caption),
      h("thead", {}, h("tr", {}, headers.map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => h(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : {}, c)))))));
}

/** Pretty-print a body: JSON re-indented when it parses, otherwise the text as it is. */
export function pretty(text) {
  if (text === null || text === undefined) return "";
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
