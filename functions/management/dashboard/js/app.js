// The console's shell: sign-in, the hash router, the gateway tabs. Pages are ES modules loaded
// on first visit, so the first load fetches only this file, api.js, dom.js and the CSS.

import { ApiError, saveSession, session, signIn } from "./api.js";
import { clearNotice, errorBox, fill, h, link } from "./dom.js";

const main = document.getElementById("main");

export const GATEWAY_TABS = [
  ["analytics", "Analytics"], ["logs", "Logs"], ["keys", "Provider keys"],
  ["limits", "Limits"], ["routes", "Routes"], ["settings", "Settings"],
];

const PAGES = {
  gateways: () => import("./pages/gateways.js"),
  settings: () => import("./pages/gateways.js"),
  analytics: () => import("./pages/analytics.js"),
  logs: () => import("./pages/logs.js"),
  keys: () => import("./pages/keys.js"),
  limits: () => import("./pages/limits.js"),
  routes: () => import("./pages/routes.js"),
  tokens: () => import("./pages/tokens.js"),
  "custom-providers": () => import("./pages/custom_providers.js"),
};

/** "#/gw/prod/logs/abc" -> {page: "logs", gateway: "prod", rest: ["abc"]}. */
export function parseHash(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "gw" && parts[1]) {
    return { page: parts[2] || "analytics", gateway: parts[1], rest: parts.slice(3) };
  }
  return { page: parts[0] || "gateways", gateway: null, rest: parts.slice(1) };
}

function gatewayTabs(gateway, current) {
  return h("nav", { class: "tabs", "aria-label": `Gateway ${gateway}` },
    GATEWAY_TABS.map(([tab, label]) => h("a", { href: link("gw", gateway, tab), "aria-current": tab === current ? "page" : false }, label)));
}

function renderSignIn(reason) {
  document.title = "Sign in · aigw console";
  const s = session();
  const account = h("input", { id: "account", name: "account", required: true, autocomplete: "username", value: s?.account || localStorage.getItem("aigw.console.account") || "", pattern: "[A-Za-z0-9_-]{1,64}", "aria-describedby": "account-hint" });
  const token = h("input", { id: "token", name: "token", type: "password", required: true, autocomplete: "current-password", "aria-describedby": "token-hint" });
  const error = h("p", { class: "note error", role: "alert", id: "signin-error", hidden: !reason }, reason || "");
  const button = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "signin card", "aria-labelledby": "signin-title", novalidate: true },
    h("h1", { id: "signin-title" }, "Sign in"),
    h("p", { class: "muted" }, "Use the admin token, or a token with read or edit permission. It is kept in this tab only and sent as a bearer header."),
    error,
    h("div", { class: "field" }, h("label", { for: "account" }, "Account id"), account,
      h("p", { class: "hint", id: "account-hint" }, "The namespace your gateways live in (letters, digits, - and _).")),
    h("div", { class: "field" }, h("label", { for: "token" }, "Token"), token,
      h("p", { class: "hint", id: "token-hint" }, "Never stored beyond this tab; closing it signs you out.")),
    h("div", { class: "actions" }, button));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    error.hidden = true;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(account.value.trim())) {
      fill(error, "Enter an account id: 1 to 64 letters, digits, - or _.");
      error.hidden = false;
      return account.focus();
    }
    if (!token.value.trim()) {
      fill(error, "Enter a token.");
      error.hidden = false;
      return token.focus();
    }
    button.disabled = true;
    try {
      await signIn(account.value.trim(), token.value.trim());
      localStorage.setItem("aigw.console.account", account.value.trim()); // the id, never the token
      token.value = "";
      location.hash = "#/gateways";
      route();
    } catch (err) {
      const msg = err instanceof ApiError && err.status === 401 ? "That token was not accepted for this account: check it and the account id."
        : err instanceof ApiError && err.status === 403 ? "This token cannot use the management API: it needs read or edit permission (run tokens are for the data plane)."
          : err.explanation || String(err);
      fill(error, msg);
      error.hidden = false;
      token.focus();
    } finally {
      button.disabled = false;
    }
  });
  fill(main, form);
  (account.value ? token : account).focus();
}

function renderChrome(s) {
  const nav = document.getElementById("topnav");
  const who = document.getElementById("who");
  nav.hidden = !s;
  who.hidden = !s;
  if (s) {
    fill(who, h("span", {}, `${s.account} · ${s.label}${s.canEdit ? "" : " · read-only"}`),
      h("button", { type: "button", class: "link", onclick: signOut }, "Sign out"));
  }
}

function signOut() {
  saveSession(null);
  location.hash = "#/signin";
  route();
}

let generation = 0;

export async function route() {
  const mine = ++generation;
  clearNotice();
  const s = session();
  renderChrome(s);
  const where = parseHash(location.hash);
  if (!s || where.page === "signin") return renderSignIn();
  const load = PAGES[where.page];
  const top = where.gateway ? (where.page === "settings" ? "gateways" : where.page) : where.page;
  document.querySelectorAll("#topnav a").forEach((a) => {
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${where.gateway ? "gateways" : top}`);
    if (a.hasAttribute("aria-current")) a.setAttribute("aria-current", "page");
  });
  if (!load) return fill(main, errorBox(new Error(`No page "${where.page}".`)));
  const body = h("div", { class: "page" });
  const view = where.gateway
    ? h("div", {}, h("p", { class: "crumbs" }, h("a", { href: "#/gateways" }, "Gateways"), " / ", where.gateway), gatewayTabs(where.gateway, where.page), body)
    : body;
  fill(main, view);
  try {
    const mod = await load();
    if (mine !== generation) return;
    await mod.render(body, { ...where, session: s, isCurrent: () => mine === generation });
    document.title = `${body.querySelector("h1, h2")?.textContent || "aigw"} · aigw console`;
  } catch (err) {
    if (mine !== generation) return;
    if (err instanceof ApiError && err.status === 401) return; // "aigw:expired" shows sign-in
    fill(body, errorBox(err));
  }
  if (mine === generation && document.activeElement === document.body) main.focus({ preventScroll: true });
}

window.addEventListener("hashchange", route);
window.addEventListener("aigw:expired", () => {
  generation++; // whatever page was loading is abandoned
  renderChrome(null);
  renderSignIn("Your token is no longer accepted (revoked or changed). Sign in again.");
});
route();
