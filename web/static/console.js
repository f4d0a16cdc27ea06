// Shared by every console page: messages in the user's language, the API with the CSRF header,
// one live websocket (with the call banner that reaches an agent on any page), small DOM helpers.
"use strict";
const TD = {
  csrf: (document.querySelector('meta[name="csrf-token"]') || {}).content || "",
  page: document.body.dataset.page,
  role: document.body.dataset.role,
  extension: document.body.dataset.extension,
  lang: document.body.dataset.lang || "vi",
  tz: document.body.dataset.tz || "Asia/Ho_Chi_Minh",
  catalog: JSON.parse((document.getElementById("catalog") || {}).textContent || "{}"),
  handlers: {},

  // A message of the catalog, with {name} filled from `vars`. A missing key shows as itself
  // (and is logged): the page-walk test fails on it, so none ships.
  t(key, vars) {
    let text = TD.catalog[key];
    if (text === undefined) { console.error("no message", key); text = key; }
    for (const [k, v] of Object.entries(vars || {})) text = text.split("{" + k + "}").join(String(v ?? ""));
    return text;
  },
  // The display name of a code (state, status, field, queue...): `group.code` in the catalog.
  label(group, code) { return code === null || code === undefined || code === "" ? "—" : TD.t(group + "." + code); },

  async api(method, url, data) {
    const opts = {method, headers: {"X-CSRF-Token": TD.csrf, "Accept-Language": TD.lang}, credentials: "same-origin"};
    if (data !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(data); }
    const r = await fetch(url, opts);
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error(TD.t("common.log_in_again")); }
    const body = (r.headers.get("Content-Type") || "").includes("json") ? await r.json() : await r.text();
    if (!r.ok) { const e = new Error((body && body.error) || r.statusText); e.body = body; e.status = r.status; throw e; }
    return body;
  },

  flash(message, bad) {
    const p = document.getElementById("flash");
    p.textContent = message; p.className = bad ? "error" : "ok"; p.hidden = false;
    clearTimeout(TD._flash); TD._flash = setTimeout(() => { p.hidden = true; }, 6000);
  },

  async run(fn) { try { return await fn(); } catch (e) { TD.flash(TD.explain(e), true); } },
  // An API refusal in words: its code's message (err.<code>) when the catalog has one, else its text.
  explain(e) {
    const code = e.body && e.body.code, key = "err." + code;
    return code && TD.catalog[key] !== undefined ? TD.t(key, e.body) : e.message;
  },

  // One websocket per tab; pages subscribe with TD.on(type, fn).
  on(type, fn) { (TD.handlers[type] = TD.handlers[type] || []).push(fn); },
  live() {
    let delay = 500;
    const open = () => {
      const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
      ws.onopen = () => { delay = 500; TD.liveDot(true); };
      ws.onmessage = (m) => { const msg = JSON.parse(m.data); for (const fn of TD.handlers[msg.type] || []) fn(msg); };
      ws.onclose = () => { TD.liveDot(false); setTimeout(open, delay); delay = Math.min(delay * 2, 10000); };
    };
    open();
  },
  liveDot(up) {
    document.querySelectorAll(".live-dot").forEach((dot) => {
      dot.textContent = up ? "● " + TD.t("common.live") : "○ " + TD.t("common.reconnecting");
      dot.className = "live-dot " + (up ? "ok" : "muted");
    });
  },

  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== null && v !== undefined) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
    return e;
  },

  // Table rows; `labels` are the column headings, repeated on each cell for the phone layout.
  rows(tbody, items, cells, empty) {
    const table = tbody.closest("table");
    const labels = table ? [...table.querySelectorAll("thead th")].map((th) => th.textContent) : [];
    if (!items.length && empty !== false) {
      const span = Math.max(labels.length, 1);
      tbody.replaceChildren(TD.el("tr", {class: "empty"}, TD.el("td", {colspan: span}, empty || TD.t("common.nothing"))));
      return;
    }
    tbody.replaceChildren(...items.map((it) => TD.el("tr", {}, ...cells(it).map((c, i) => TD.el("td", {"data-label": labels[i] || null}, c)))));
  },

  // dd/mm/yyyy HH:mm in the site's time zone, whatever the browser's (seconds on request).
  when(iso, seconds) {
    if (!iso) return "—";
    const parts = new Intl.DateTimeFormat("en-GB", {timeZone: TD.tz, day: "2-digit", month: "2-digit", year: "numeric",
      hour: "2-digit", minute: "2-digit", second: seconds ? "2-digit" : undefined, hourCycle: "h23"}).formatToParts(new Date(iso));
    const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
    return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}${seconds ? ":" + p.second : ""}`;
  },
  clock(s) { s = Math.max(0, s | 0); const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    return (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${String(s % 60).padStart(2, "0")}`; },
  pct(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; },
  seconds(s) { return s === null || s === undefined ? "—" : TD.t("common.seconds", {n: Math.round(s)}); },

  async site() { TD._site = TD._site || await TD.api("GET", "/api/site"); return TD._site; },

  async fillSelect(select, values, blank) {
    const keep = select.value;
    select.replaceChildren(...(blank ? [TD.el("option", {value: ""}, blank)] : []),
      ...values.map(([v, label]) => TD.el("option", {value: v}, label)));
    if (keep && values.some(([v]) => v === keep)) select.value = keep;
  },

  ticketLink(code) { return TD.el("a", {href: "/tickets/" + encodeURIComponent(code)}, code); },

  // A call for this agent: a banner on every page, a short tone, a desktop notification if allowed.
  callBanner(ticket) {
    const banner = document.getElementById("call-banner");
    document.getElementById("call-banner-text").textContent = TD.t("desk.banner", {code: ticket.code, caller: ticket.caller_number || "—"});
    document.getElementById("call-banner-open").hidden = TD.page === "agent";
    banner.hidden = false;
    TD.beep();
    if (window.Notification && Notification.permission === "granted" && document.hidden) {
      new Notification(TD.t("desk.notification_title"), {body: TD.t("desk.banner", {code: ticket.code, caller: ticket.caller_number || "—"})});
    }
  },
  closeBanner() { document.getElementById("call-banner").hidden = true; },
  beep() {
    try {
      const ctx = TD._audio = TD._audio || new AudioContext();
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880; gain.gain.value = 0.1;
      osc.connect(gain).connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no sound device: the banner still shows */ }
  },
};

document.getElementById("call-banner-close").onclick = () => TD.closeBanner();
document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") TD.closeBanner(); });
if (TD.role === "agent" || TD.role === "callback") {
  TD.on("pop", (m) => TD.callBanner(m.ticket));
  TD.on("call_ended", () => TD.closeBanner());
  if (window.Notification && Notification.permission === "default") {
    document.addEventListener("click", () => Notification.requestPermission().catch(() => {}), {once: true});
  }
}
// after every page script has subscribed (the first messages come as soon as the socket opens)
if (TD.role) document.addEventListener("DOMContentLoaded", () => TD.live());
