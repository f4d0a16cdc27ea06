// Agent desktop: state buttons (same as *11-*14), the screen-pop over the websocket, ticket edits.
"use strict";
let current = null;

function showState(s) {
  document.getElementById("state").textContent = s.state;
  document.getElementById("reason").textContent = s.reason ? `(${s.reason})` : "";
  TD.since = Date.now() - (s.seconds || 0) * 1000;
}
setInterval(() => { if (TD.since) document.getElementById("since").textContent = TD.clock((Date.now() - TD.since) / 1000); }, 1000);

async function setState(state, reason) {
  const r = await TD.api("POST", "/api/agent/state", {state, reason});
  showState(r);
  TD.flash(`${state}${reason ? " (" + reason + ")" : ""}`);
}

function pop(t) {
  current = t.code;
  document.getElementById("pop").hidden = false;
  document.getElementById("pop-code").textContent = t.code;
  document.getElementById("pop-caller").textContent = t.caller_number || "—";
  document.getElementById("pop-queue").textContent = t.queue || "—";
  document.getElementById("pop-path").textContent = (t.ivr_path || []).join(" → ") || "—";
  document.getElementById("pop-wait").textContent = (t.wait_s ?? "—") + " s";
  document.getElementById("t-field").value = t.field || "";
  document.getElementById("t-priority").value = String(t.priority || 3);
  document.getElementById("t-status").value = "open";
  document.getElementById("t-summary").value = t.summary || "";
  const ul = document.getElementById("pop-earlier");
  ul.replaceChildren(...(t.earlier.length ? t.earlier.map((e) => TD.el("li", {}, TD.ticketLink(e.code),
    ` ${TD.when(e.created_at)} ${e.field || ""} ${e.status} ${e.summary || ""}`)) : [TD.el("li", {}, "—")]));
  TD.flash("Cuộc gọi mới / New call: " + t.code);
  loadMine();
}

async function save(ev) {
  ev.preventDefault();
  if (!current) return;
  const change = {summary: document.getElementById("t-summary").value,
    priority: Number(document.getElementById("t-priority").value), status: document.getElementById("t-status").value};
  const field = document.getElementById("t-field").value;
  if (field) change.field = field;
  await TD.api("PATCH", "/api/tickets/" + encodeURIComponent(current), change);
  const note = document.getElementById("t-note");
  if (note.value.trim()) { await TD.api("POST", `/api/tickets/${encodeURIComponent(current)}/notes`, {text: note.value}); note.value = ""; }
  TD.flash("Đã lưu / Saved " + current);
  loadMine();
}

async function loadMine() {
  const r = await TD.api("GET", "/api/tickets?limit=20");
  TD.rows(document.querySelector("#my-tickets tbody"), r.tickets,
    (t) => [TD.ticketLink(t.code), TD.when(t.created_at), t.caller_number || "", t.field || "", t.status, t.summary]);
}

(async () => {
  const site = await TD.site();
  await TD.fillSelect(document.getElementById("t-field"), site.fields.map((f) => [f.key, `${f.vi} / ${f.en}`]), "—");
  await TD.fillSelect(document.getElementById("t-status"), site.case_statuses.map((s) => [s, s]));
  const desk = await TD.run(() => TD.api("GET", "/api/agent"));
  if (desk) {
    showState(desk);
    await TD.fillSelect(document.getElementById("pause-reason"), desk.pause_reasons.map((r) => [r, r]));
    document.getElementById("transfers").replaceChildren(...desk.transfer_to.map((n) => TD.el("button",
      {class: "danger", id: "transfer-" + n, onclick: () => TD.run(async () => {
        if (!confirm(`Chuyển cuộc gọi tới ${n}? / Transfer the caller to ${n}?`)) return;
        const r = await TD.api("POST", "/api/agent/transfer", {number: n});
        TD.flash(`→ ${n}: ${r.ticket || ""}`);
      })}, n)));
  }
  document.getElementById("ready").onclick = () => TD.run(() => setState("ready"));
  document.getElementById("pause").onclick = () => TD.run(() => setState("paused", document.getElementById("pause-reason").value));
  document.getElementById("logout-queue").onclick = () => TD.run(() => setState("logged_out"));
  document.getElementById("ticket-form").onsubmit = (ev) => TD.run(() => save(ev));
  TD.live((m) => { if (m.type === "pop") pop(m.ticket); else if (m.type === "state") showState(m); });
  TD.run(loadMine);
})();
