// One ticket: facts, the way through the menus, the edit form (only what changed is sent),
// recordings (each playback is audited by the server) and the timeline told as sentences, reloaded
// when the forwarding section (forwarding.js) reports an action with "td:ticket-changed".
"use strict";
const code = document.getElementById("ticket").dataset.code;
const $ = (id) => document.getElementById(id);
// form control -> the ticket's key
const ENTRY = {"t-caller-name": "caller_name", "t-address": "address", "t-area": "area", "t-field": "field",
  "t-priority": "priority", "t-status": "status", "t-outcome": "outcome", "t-summary": "summary"};
let loaded = null;

// A stored map point ("16.067800,108.220800") as people read it: {lat: "16.0678", lon: "108.2208"}.
function point(stored) {
  if (!stored) return null;
  const [lat, lon] = stored.split(",").map((x) => String(Number(x)));
  return {lat, lon};
}

// The point, a geo: link the device's map app opens, and OpenStreetMap only on a click (nothing loaded).
function pointLinks(stored) {
  const p = point(stored);
  if (!p) return null;
  const osm = `https://www.openstreetmap.org/?mlat=${p.lat}&mlon=${p.lon}#map=17/${p.lat}/${p.lon}`;
  return TD.el("span", {class: "map-point"}, `${p.lat}, ${p.lon} `,
    TD.el("a", {id: "map-app", href: `geo:${p.lat},${p.lon}`}, TD.t("ticket.map_app")), " · ",
    TD.el("a", {id: "map-osm", href: osm, target: "_blank", rel: "noopener noreferrer"}, TD.t("ticket.map_osm")));
}

function facts(t) {
  const rows = [["ticket.caller", t.caller_number], ["story.entry.caller_name", t.caller_name],
    ["ticket.kind", TD.label("kind", t.kind)], ["story.entry.field", TD.label("field", t.field)],
    ["story.entry.area", TD.label("area", t.area)], ["story.entry.address", t.address],
    ["ticket.map_point", pointLinks(t.map_point)],
    ["story.entry.status", TD.label("status", t.status)], ["story.entry.priority", t.priority],
    ["story.entry.outcome", TD.label("outcome", t.outcome)], ["ticket.queue", TD.label("queue", t.queue)],
    ["ticket.agent", t.agent], ["ticket.service", t.service], ["ticket.wait", TD.seconds(t.wait_s)],
    ["ticket.talk", TD.seconds(t.talk_s)], ["ticket.created", TD.when(t.created_at)],
    ["ticket.closed", TD.when(t.closed_at)], ["story.entry.summary", t.summary]];
  $("facts").replaceChildren(...rows.filter(([k, v]) => k !== "ticket.service" || v)
    .flatMap(([k, v]) => [TD.el("dt", {}, TD.t(k)),
      TD.el("dd", {}, v === null || v === undefined || v === "" ? "—" : v instanceof Node ? v : String(v))]));
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
  const p = point(t.map_point);
  $("t-map-point").value = p ? `${p.lat}, ${p.lon}` : "";
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

// The ticket changed elsewhere (a forward, a review...): load it again, keeping what the user has
// typed and not saved yet (the form's other controls follow the new ticket, so a later save does not
// send its old status back).
async function reload() {
  const pending = loaded && loaded.can_edit ? changes() : {};
  await load();
  const back = {...ENTRY, "t-map-point": "map_point", "t-reply-by": "reply_by"};
  for (const [id, key] of Object.entries(back)) {
    if (key in pending) $(id).value = pending[key] === null ? "" : String(pending[key]);
  }
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
  const typed = $("t-map-point").value.trim(), p = point(loaded.map_point);  // the server normalises it
  if (typed !== (p ? `${p.lat}, ${p.lon}` : "")) out.map_point = typed || null;
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
document.addEventListener("td:ticket-changed", () => TD.run(reload));
TD.run(load);

// A report from the web (issue 17): the citizen's contact and consent, and their photos as
// thumbnails opening full size (served by the console to those who may read this ticket, never by
// the public portal). Nothing shows for a ticket from a call.
async function webReport() {
  const r = await TD.api("GET", "/api/triage/" + encodeURIComponent(code));
  if (!r.photos.length && !r.contact_phone && !r.contact_email && r.consent === null) return;
  const yes = (v) => v === null ? "—" : TD.t(v ? "common.yes" : "common.no");
  const facts = [["ticket.contact_phone", r.contact_phone || "—"], ["ticket.contact_email", r.contact_email || "—"],
    ["ticket.consent", yes(r.consent)]].flatMap(([k, v]) => [TD.el("dt", {}, TD.t(k)), TD.el("dd", {}, v)]);
  const photos = r.photos.map((p, i) => {
    const img = TD.el("img", {src: p.url, alt: TD.t("ticket.photo_alt", {n: i + 1}), width: p.width, height: p.height,
      loading: "lazy", id: "photo-" + p.id});
    img.style.maxWidth = "10rem"; img.style.height = "auto"; img.style.maxHeight = "10rem";  // script styles pass the CSP
    return TD.el("li", {}, TD.el("a", {href: p.url, target: "_blank", rel: "noopener"}, img),
      p.gps ? TD.el("div", {class: "muted"}, TD.t("ticket.photo_place", {place: p.gps})) : "");
  });
  const list = TD.el("ul", {id: "web-photos", class: "web-photos"}, ...(photos.length ? photos
    : [TD.el("li", {class: "muted"}, TD.t("ticket.no_photos"))]));
  list.style.cssText = "display:flex;flex-wrap:wrap;gap:.6em;list-style:none;padding:0";
  $("facts").after(TD.el("section", {id: "web-report"}, TD.el("h3", {}, TD.t("ticket.web_report")),
    TD.el("dl", {class: "facts"}, ...facts), TD.el("h3", {}, TD.t("ticket.photos")), list));
}
TD.run(webReport);
