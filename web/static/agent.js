// Agent desk: state buttons (same as *11-*14), the screen-pop with structured entry, a stack of
// pops that never overwrites unsaved text, the outcome before Ready, hold and transfers, and the
// ticket's forward to the agencies right after the call (agencies_pick.js), and the web reports
// waiting for triage (triage_list.js).
"use strict";
let site = null, desk = null, box = null;
let current = null;      // the ticket record on the form
let dirty = false;       // the agent typed or chose something not yet saved
const stack = [];        // pops waiting until the current ticket is saved or dismissed
const ENTRY = {caller_name: "t-caller-name", address: "t-address", area: "t-area", field: "t-field",
  summary: "t-summary", outcome: "t-outcome"};
const $ = (id) => document.getElementById(id);

let shownVersion = 0;
function showState(s) {
  // the answer to a click can arrive after the push of a newer state: keep the newest
  if (s.version !== undefined) {
    if (s.version < shownVersion) return;
    shownVersion = s.version;
  }
  $("state").textContent = TD.label("state", s.state);
  $("state").dataset.state = s.state;
  $("reason").textContent = s.reason ? `(${TD.label("reason", s.reason)})` : "";
  TD.since = Date.now() - (s.seconds || 0) * 1000;
}
setInterval(() => { if (TD.since) $("since").textContent = TD.clock((Date.now() - TD.since) / 1000); }, 1000);

async function setState(state, reason) {
  try {
    const r = await TD.api("POST", "/api/agent/state", {state, reason});
    showState(r);
    TD.flash(TD.label("state", r.state));
  } catch (e) {
    if (e.body && e.body.code === "outcome_needed") {
      TD.flash(TD.t("desk.outcome_first", {code: e.body.ticket}), true);  // and the ticket opens to choose it
      if (!current || current.code !== e.body.ticket) await openTicket(e.body.ticket);
      $("t-outcome").focus();
      $("t-outcome").closest("label").classList.add("missing");
      return;
    }
    throw e;
  }
}

function required(kind) { return (site.required || {})[kind] || []; }

function markRequired(kind) {
  const need = required(kind);
  if (site.outcome_required) need.push("outcome");
  document.querySelectorAll("#ticket-form label[data-entry]").forEach((label) => {
    label.classList.remove("missing");
    label.querySelector(".req")?.remove();
    if (need.includes(label.dataset.entry)) label.firstChild.after(TD.el("span", {class: "req", title: TD.t("desk.required")}, "*"));
  });
  $("missing").hidden = true;
}

function show(t) {
  current = t; dirty = false;
  $("pop").hidden = false; $("pop").classList.remove("ended"); $("pop-ended").hidden = true;
  $("pop-code").textContent = t.code;
  $("pop-caller").textContent = t.caller_number || "—";
  $("pop-queue").textContent = TD.label("queue", t.queue);
  $("pop-path").textContent = (t.ivr_path_text && t.ivr_path_text[TD.lang]) || "—";
  $("pop-wait").textContent = TD.seconds(t.wait_s);
  $("t-caller-name").value = t.caller_name || "";
  $("t-address").value = t.address || "";
  $("t-area").value = t.area || "";
  $("t-field").value = t.field || "";
  $("t-priority").value = String(t.priority || 3);
  $("t-outcome").value = t.outcome || "";
  $("t-summary").value = t.summary || "";
  $("t-reply-by").value = t.reply_by || "callback";  // not chosen yet: the default the review applies
  $("t-note").value = "";
  fillStatus(t);
  $("t-status").value = "";
  markRequired(t.kind);
  $("current-ticket").hidden = false; $("current-ticket").href = "#pop"; $("current-code").textContent = t.code;
  const ul = $("pop-earlier");
  ul.replaceChildren(...((t.earlier || []).length ? t.earlier.map((e) => TD.el("li", {}, TD.ticketLink(e.code),
    ` ${TD.when(e.created_at)} · ${TD.label("field", e.field)} · ${TD.label("status", e.status)} ${e.summary || ""}`))
    : [TD.el("li", {class: "muted"}, TD.t("desk.no_earlier"))]));
  openCases(t.open_cases || []);
  drawStack();
  drawBox();
  $("t-summary").focus();
}

function fillStatus(t) {
  TD.fillSelect($("t-status"), [["", TD.t("desk.keep_status", {status: TD.label("status", t.status)})],
    ...site.case_statuses.filter((s) => s !== t.status).map((s) => [s, TD.label("status", s)])]);
}

// The forward box follows the saved ticket (the server routes on it): a field or area chosen on the
// form but not saved yet asks for a save first, so the agencies shown are the ones the forward gets.
function drawBox() {
  if (!current || !box) return;
  const field = $("t-field").value || current.field || "", area = $("t-area").value || current.area || "";
  const mode = !["agent", "supervisor", "admin"].includes(TD.role) ? "off" : !field ? "need_field"
    : site.areas.length && !area ? "need_area"
    : field !== (current.field || "") || area !== (current.area || "") ? "unsaved" : "ready";
  box.show(current.code, mode, current);
}

// unsaved: the form's entry, or a note for the agencies typed in the forward box
function unsaved() { return dirty || (box !== null && box.noteTyped()); }

// A caller who calls again: what is still pending for their number, which agency holds it, by when.
function openCases(cases) {
  $("pop-open").hidden = !cases.length;
  $("pop-open-count").textContent = String(cases.length);
  $("pop-open-list").replaceChildren(...cases.map((c) => TD.el("li", {class: c.overdue ? "overdue" : null},
    TD.ticketLink(c.code), ` · ${TD.label("field", c.field)} · ${TD.label("status", c.status)} · `,
    c.deadline_at ? TD.t("desk.case_deadline", {deadline: TD.when(c.deadline_at), agency: c.agency_name || c.agency})
      : TD.t("desk.case_not_forwarded"),
    ...(c.overdue ? [" · ", TD.el("span", {class: "late"}, TD.t("tickets.overdue"))] : []))));
}

function drawStack() {
  $("stack").hidden = !stack.length;
  $("stack-count").textContent = String(stack.length);
  $("stack-codes").textContent = stack.map((t) => t.code).join(", ");
}

function pop(t) {
  if (current && unsaved() && current.code !== t.code) { stack.push(t); drawStack(); TD.flash(TD.t("desk.stacked", {code: t.code})); }
  else show(t);
  loadMine();
}

function next() {
  if (stack.length) show(stack.shift());
  else { current = null; dirty = false; $("pop").hidden = true; drawStack(); }
}

async function openTicket(code) { show(await TD.api("GET", "/api/tickets/" + encodeURIComponent(code))); }

function changes() {
  const out = {};
  const text = (id, key) => { const v = $(id).value.trim(); if (v !== (current[key] || "")) out[key] = v; };
  text("t-caller-name", "caller_name"); text("t-address", "address"); text("t-summary", "summary");
  for (const [id, key] of [["t-area", "area"], ["t-field", "field"], ["t-outcome", "outcome"]]) {
    const v = $(id).value; if (v && v !== (current[key] || "")) out[key] = v;
  }
  const priority = Number($("t-priority").value); if (priority !== current.priority) out.priority = priority;
  if ($("t-status").value) out.status = $("t-status").value;
  const reply = $("t-reply-by").value; if (reply !== (current.reply_by || "callback")) out.reply_by = reply;
  return out;
}

function showMissing(keys) {
  const names = {caller_name: "desk.caller_name", address: "desk.address", area: "desk.area", field: "desk.field",
    summary: "desk.summary", outcome: "desk.outcome"};
  keys.forEach((k) => $(ENTRY[k])?.closest("label").classList.add("missing"));
  $("missing").textContent = TD.t("desk.missing", {fields: keys.map((k) => TD.t(names[k] || k)).join(", ")});
  $("missing").hidden = false;
  $(ENTRY[keys[0]])?.focus();
}

// Writes the form's changes and note (said in the flash); false when a required entry is missing
// (shown on the form), the server refused one, or there was nothing to save.
async function store() {
  markRequired(current.kind);
  const change = changes(), note = $("t-note").value.trim();
  const after = {...current, ...change};
  const need = required(current.kind).filter((k) => !String(after[k] || "").trim());
  if (site.outcome_required && current.agent && !after.outcome) need.push("outcome");
  if (need.length) { showMissing(need); return false; }
  if (!Object.keys(change).length && !note) { TD.flash(TD.t("common.nothing_to_save")); dirty = false; return false; }
  const code = current.code;
  try {
    if (Object.keys(change).length) await TD.api("PATCH", "/api/tickets/" + encodeURIComponent(code), change);
  } catch (e) {
    if (e.body && e.body.missing) { showMissing(e.body.missing); return false; }
    throw e;
  }
  if (note) await TD.api("POST", `/api/tickets/${encodeURIComponent(code)}/notes`, {text: note});
  TD.flash(TD.t("desk.saved", {code}));
  dirty = false;
  return true;
}

async function save(ev) {
  if (ev) ev.preventDefault();
  if (!current) return;
  const code = current.code;
  if (!(await store())) return;
  if (stack.length && !box.noteTyped()) next(); else await openTicket(code);
  loadMine();
}

// Save this ticket and stay on it (a waiting pop comes after the forward, when the agent closes it).
async function saveHere() {
  const code = current.code;
  if (!(await store())) return false;
  await openTicket(code);
  loadMine();
  return current.code === code;
}

// Before a forward: the unsaved entry is saved first (the forward goes with the ticket as typed),
// or nothing is forwarded when the save is refused.
async function saveFirst() {
  if (!current) return false;
  return Object.keys(changes()).length || $("t-note").value.trim() ? saveHere() : true;
}

// the ticket's assignments changed (forwarded here or elsewhere): its status on the form follows
function forwarded(listing) {
  if (!current || current.code !== listing.ticket) return;  // the desk has moved on to another ticket
  current.status = listing.status;
  fillStatus(current);
  loadMine();
}

function dismiss() {
  if (unsaved() && !confirm(TD.t("desk.discard"))) return;
  next();
}

function ended(m) {
  if (current && m.ticket === current.code) { $("pop").classList.add("ended"); $("pop-ended").hidden = false; }
  loadMine();
  const forward = current && current.kind === "report" && box.waiting();  // a report still to forward
  if (current && m.ticket === current.code && !unsaved() && !(site.outcome_required && !current.outcome) && !forward) {
    $("pop").hidden = true;  // nothing to finish: the ticket stays one click away in the bar
  }
}

async function loadMine() {
  const r = await TD.api("GET", "/api/tickets?limit=20");
  TD.rows(document.querySelector("#my-tickets tbody"), r.tickets, (t) => [TD.ticketLink(t.code), TD.when(t.created_at),
    t.caller_number || "—", TD.label("field", t.field), TD.label("status", t.status), t.summary || ""], TD.t("desk.no_tickets"));
}

function controls() {
  const options = [
    ...desk.agents.map((a) => [`agent:${a.extension}`, TD.t("desk.to_agent", {name: a.name, ext: a.extension})]),
    ...desk.queues.map((q) => [`queue:${q}`, TD.t("desk.to_queue", {queue: TD.label("queue", q)})]),
    ["supervisor:", TD.t("desk.to_supervisor")]];
  TD.fillSelect($("transfer-target"), options);
  $("transfers").replaceChildren(...desk.transfer_to.map(({service, number}) => TD.el("button",
    {class: "danger", type: "button", id: "transfer-" + number, onclick: () => TD.run(async () => {
      if (!confirm(TD.t("desk.confirm_emergency", {service: TD.label("service", service), number}))) return;
      const r = await TD.api("POST", "/api/agent/transfer", {number});
      TD.flash(TD.t("desk.transferred", {to: number, code: r.ticket || ""}));
    })}, `${TD.label("service", service)} ${number}`)));
  $("transfer-go").onclick = () => TD.run(async () => {
    const [to, target] = $("transfer-target").value.split(":");
    const r = await TD.api("POST", "/api/agent/transfer", {to, target});
    TD.flash(TD.t("desk.transferred", {to: $("transfer-target").selectedOptions[0].textContent, code: r.ticket || ""}));
  });
  $("hold").onclick = () => TD.run(async () => { await TD.api("POST", "/api/agent/hold"); $("hold").hidden = true; $("resume").hidden = false; TD.flash(TD.t("desk.on_hold")); });
  $("resume").onclick = () => TD.run(async () => { await TD.api("POST", "/api/agent/resume"); $("hold").hidden = false; $("resume").hidden = true; TD.flash(TD.t("desk.resumed")); });
}

document.addEventListener("keydown", (ev) => {
  if (!current || $("pop").hidden) return;
  if (ev.ctrlKey && ev.key === "Enter") { ev.preventDefault(); TD.run(save); }
  else if (ev.altKey && /^[1-9]$/.test(ev.key)) {
    const option = $("t-field").options[Number(ev.key)];  // option 0 is the blank
    if (option) { ev.preventDefault(); $("t-field").value = option.value; dirty = true; drawBox(); }
  }
});

const ready = (async () => {
  site = await TD.site();
  await TD.fillSelect($("t-field"), site.fields.map((f) => [f.key, TD.label("field", f.key)]), "—");
  await TD.fillSelect($("t-area"), site.areas.map((a) => [a, TD.label("area", a)]), "—");
  await TD.fillSelect($("t-outcome"), site.outcomes.map((o) => [o, TD.label("outcome", o)]), "—");
  box = TD.agencyPick($("fwd"), {before: saveFirst, changed: forwarded});
  $("fwd-save").onclick = () => TD.run(saveHere);
  $("ticket-form").addEventListener("input", () => { dirty = true; });
  $("ticket-form").addEventListener("change", drawBox);  // a field or area chosen: the box says what it needs
  $("ticket-form").onsubmit = (ev) => TD.run(() => save(ev));
  $("dismiss").onclick = dismiss;
  $("current-ticket").onclick = (ev) => { ev.preventDefault(); if (current) { $("pop").hidden = false; $("t-summary").focus(); } };
  // an account without an agent number (an admin looking) or not in the agent list: said in words
  if (!TD.extension) TD.flash(TD.t("desk.no_extension"), true);
  else desk = await TD.api("GET", "/api/agent").catch((e) => {
    TD.flash(e.status === 404 ? TD.t("desk.not_an_agent", {ext: TD.extension}) : TD.explain(e), true);
  });
  if (desk) {
    showState(desk);
    await TD.fillSelect($("pause-reason"), desk.pause_reasons.map((r) => [r, TD.label("reason", r)]));
    controls();
    const code = desk.ticket || desk.needs_outcome;  // a call in progress, or one still needing its outcome
    if (code) await TD.run(() => openTicket(code));
  }
  $("ready").onclick = () => TD.run(() => setState("ready"));
  $("pause").onclick = () => TD.run(() => setState("paused", $("pause-reason").value));
  $("logout-queue").onclick = () => TD.run(() => setState("logged_out"));
  // the buttons come disabled in the page: a click before they do something would be lost
  for (const id of ["ready", "pause", "logout-queue"]) $(id).disabled = false;
  TD.run(loadMine);
  TD.run(() => TD.triageList($("triage")));  // the web reports waiting (triage_list.js)
})();
// leaving the desk with unsaved text asks first (the browser's own "leave the page?")
window.addEventListener("beforeunload", (ev) => { if (unsaved()) { ev.preventDefault(); ev.returnValue = ""; } });
// subscribed now (the socket opens when the page has loaded), handled once the desk is set up
TD.on("pop", (m) => ready.then(() => pop(m.ticket)));
TD.on("state", (m) => ready.then(() => showState(m)));
TD.on("call_ended", (m) => ready.then(() => ended(m)));
