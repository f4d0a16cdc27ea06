// One ticket: facts, the way through the menus, the edit form (only what changed is sent),
// recordings (each playback is audited by the server) and the timeline told as sentences.
"use strict";
const code = document.getElementById("ticket").dataset.code;
const $ = (id) => document.getElementById(id);
// form control -> the ticket's key
const ENTRY = {"t-caller-name": "caller_name", "t-address": "address", "t-area": "area", "t-field": "field",
  "t-priority": "priority", "t-status": "status", "t-outcome": "outcome", "t-summary": "summary"};
let loaded = null;

function facts(t) {
  const rows = [["ticket.caller", t.caller_number], ["story.entry.caller_name", t.caller_name],
    ["ticket.kind", TD.label("kind", t.kind)], ["story.entry.field", TD.label("field", t.field)],
    ["story.entry.area", TD.label("area", t.area)], ["story.entry.address", t.address],
    ["story.entry.status", TD.label("status", t.status)], ["story.entry.priority", t.priority],
    ["story.entry.outcome", TD.label("outcome", t.outcome)], ["ticket.queue", TD.label("queue", t.queue)],
    ["ticket.agent", t.agent], ["ticket.service", t.service], ["ticket.wait", TD.seconds(t.wait_s)],
    ["ticket.talk", TD.seconds(t.talk_s)], ["ticket.created", TD.when(t.created_at)],
    ["ticket.closed", TD.when(t.closed_at)], ["story.entry.summary", t.summary]];
  $("facts").replaceChildren(...rows.filter(([k, v]) => k !== "ticket.service" || v)
    .flatMap(([k, v]) => [TD.el("dt", {}, TD.t(k)), TD.el("dd", {}, v === null || v === undefined || v === "" ? "—" : String(v))]));
}

function recordings(t) {
  $("recordings").replaceChildren(...(t.recordings.length ? t.recordings.map((r) => TD.el("li", {},
    [TD.label("rec_kind", r.kind), r.duration_s ? TD.seconds(r.duration_s) : null, TD.label("rec_status", r.status)]
      .filter(Boolean).join(", ") + " ",
    r.status === "purged" ? "" : TD.el("audio", {controls: "", preload: "none", src: r.url, id: "rec-" + r.id})))
    : [TD.el("li", {class: "muted"}, TD.t("ticket.no_recordings"))]));
}

async function fillForm(t) {
  const site = await TD.site();
  await TD.fillSelect($("t-field"), site.fields.map((f) => [f.key, TD.label("field", f.key)]), "—");
  await TD.fillSelect($("t-area"), site.areas.map((a) => [a, TD.label("area", a)]), "—");
  await TD.fillSelect($("t-outcome"), site.outcomes.map((o) => [o, TD.label("outcome", o)]), "—");
  // the current status first (a call's own status is not one an agent picks, but it is shown)
  const statuses = site.case_statuses.includes(t.status) ? site.case_statuses : [t.status, ...site.case_statuses];
  await TD.fillSelect($("t-status"), statuses.map((s) => [s, TD.label("status", s)]));
  for (const [id, key] of Object.entries(ENTRY)) $(id).value = t[key] === null || t[key] === undefined ? "" : String(t[key]);
  $("t-reply-by").value = t.reply_by || "callback";  // not chosen yet: the default the review applies
  const required = (site.required || {})[t.kind] || [];
  document.querySelectorAll("#ticket-form [data-entry]").forEach((label) =>
    label.classList.toggle("required", required.includes(label.dataset.entry)));
}

function showMissing(keys) {
  document.querySelectorAll("#ticket-form [data-entry]").forEach((label) =>
    label.classList.toggle("missing", keys.includes(label.dataset.entry)));
  const p = $("missing");
  p.hidden = !keys.length;
  p.textContent = keys.length ? TD.t("ticket.missing", {fields: keys.map((k) => TD.t("story.entry." + k)).join(", ")}) : "";
}

function show(t) {
  loaded = t;
  $("ivr-path").textContent = t.ivr_path_text || "—";
  facts(t);
  recordings(t);
  TD.rows(document.querySelector("#timeline tbody"), t.events, (e) => [TD.el("time", {datetime: e.at}, TD.when(e.at, true)), e.text],
    TD.t("ticket.no_events"));
  $("ticket-form").hidden = !t.can_edit;
  document.body.dataset.loaded = String(Date.now());
}

async function load() {
  const t = await TD.api("GET", "/api/tickets/" + encodeURIComponent(code));
  show(t);
  if (t.can_edit) await fillForm(t);
}

// Only what differs from the ticket as loaded; the server decides again.
function changes() {
  const out = {};
  for (const [id, key] of Object.entries(ENTRY)) {
    const value = $(id).value, before = loaded[key] === null || loaded[key] === undefined ? "" : String(loaded[key]);
    if (key === "summary" || key === "caller_name" || key === "address" ? value.trim() === before.trim() : value === before) continue;
    out[key] = key === "priority" ? Number(value) : (value === "" ? null : value);
  }
  const reply = $("t-reply-by").value;
  if (reply !== (loaded.reply_by || "callback")) out.reply_by = reply;
  return out;
}

async function save(ev) {
  ev.preventDefault();
  let r;
  try {
    r = await TD.api("PATCH", "/api/tickets/" + encodeURIComponent(code), changes());
  } catch (e) {
    if (e.body && e.body.missing) { showMissing(e.body.missing); TD.flash($("missing").textContent, true); return; }
    throw e;
  }
  showMissing([]);
  const unchanged = r.unchanged, note = $("t-note");
  let noted = false;
  if (note.value.trim()) {
    r = await TD.api("POST", `/api/tickets/${encodeURIComponent(code)}/notes`, {text: note.value});
    note.value = ""; noted = true;
  }
  TD.flash(!unchanged ? TD.t("common.saved") : TD.t(noted ? "ticket.note_saved" : "common.nothing_to_save"));
  show(r);
  await fillForm(r);
}

$("ticket-form").onsubmit = (ev) => TD.run(() => save(ev));
TD.run(load);
