// Shared by every console page: the API with the CSRF header, the live websocket, small DOM helpers.
"use strict";
const TD = {
  csrf: (document.querySelector('meta[name="csrf-token"]') || {}).content || "",
  page: document.body.dataset.page,
  role: document.body.dataset.role,
  extension: document.body.dataset.extension,

  async api(method, url, data) {
    const opts = {method, headers: {"X-CSRF-Token": TD.csrf}, credentials: "same-origin"};
    if (data !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(data); }
    const r = await fetch(url, opts);
    if (r.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); throw new Error("log in"); }
    const body = (r.headers.get("Content-Type") || "").includes("json") ? await r.json() : await r.text();
    if (!r.ok) throw new Error((body && body.error) || r.statusText);
    return body;
  },

  flash(message, bad) {
    const p = document.getElementById("flash");
    p.textContent = message; p.className = bad ? "error" : "ok"; p.hidden = false;
    clearTimeout(TD._flash); TD._flash = setTimeout(() => { p.hidden = true; }, 6000);
  },

  async run(fn) { try { return await fn(); } catch (e) { TD.flash(e.message, true); } },

  live(onmessage) {
    let delay = 500;
    const dot = document.getElementById("live");
    const open = () => {
      const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
      ws.onopen = () => { delay = 500; if (dot) { dot.textContent = "● live"; dot.className = "ok"; } };
      ws.onmessage = (m) => onmessage(JSON.parse(m.data));
      ws.onclose = () => {
        if (dot) { dot.textContent = "○ reconnecting"; dot.className = "muted"; }
        setTimeout(open, delay); delay = Math.min(delay * 2, 10000);
      };
    };
    open();
  },

  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else if (v !== null && v !== undefined) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
    return e;
  },

  rows(tbody, items, cells) {
    tbody.replaceChildren(...items.map((it) => TD.el("tr", {}, ...cells(it).map((c) => TD.el("td", {}, c)))));
  },

  when(iso) { return iso ? new Date(iso).toLocaleString("vi-VN", {hour12: false}) : "—"; },
  clock(s) { s = Math.max(0, s | 0); return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; },
  pct(x) { return x === null || x === undefined ? "—" : Math.round(x * 100) + "%"; },

  async site() { TD._site = TD._site || await TD.api("GET", "/api/site"); return TD._site; },

  async fillSelect(select, values, blank) {
    select.replaceChildren(...(blank ? [TD.el("option", {value: ""}, blank)] : []),
      ...values.map(([v, label]) => TD.el("option", {value: v}, label)));
  },

  ticketLink(code) { return TD.el("a", {href: "/tickets/" + encodeURIComponent(code)}, code); },
};
