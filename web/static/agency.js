// The agency's page: its assignments (open first, nearest deadline first; overdue in red), one
// case with its answer form (text + PDF/image files), reject with a reason, ask for more time,
// and the agency's counts. A one-time link opens one case only (`single`). The caller's number and
// the call's recording show only when 1022 shared them for this case.
"use strict";
let current = null;

function stateOf(a) {
  const parts = [TD.label("agency.processing", a.processing)];
  if (a.review) parts.push(TD.label("agency.review", a.review));
  else if (a.open) parts.push(TD.label("agency.delivery", a.delivery));
  return parts.join(" · ");
}

function deadline(a) {
  const text = TD.when(a.deadline_at);
  return a.overdue ? TD.el("span", {class: "overdue"}, text + " · " + TD.t("agency.overdue")) : text;
}

async function loadStats() {
  const box = document.getElementById("agency-stats");
  try {
    const s = await TD.api("GET", "/api/agency/stats");
    box.replaceChildren(...["open", "overdue", "answered_on_time", "answered_late", "rejected"].map((k) =>
      TD.el("span", {class: "ag-stat" + (k === "overdue" && s[k] ? " overdue" : ""), id: "stat-" + k},
        TD.t("agency.stat." + k), TD.el("b", {}, String(s[k])))));
  } catch (e) { box.replaceChildren(); }  // a link's session has no statistics
}

async function loadList() {
  const r = await TD.api("GET", "/api/agency/assignments");
  document.getElementById("agency-list-card").hidden = r.single;
  TD.rows(document.querySelector("#assignments tbody"), r.assignments, (a) => [String(a.id), a.ticket,
    TD.label("field", a.field), TD.label("area", a.area), TD.el("span", {class: "ag-summary"}, a.summary || "—"),
    deadline(a), stateOf(a), TD.el("button", {id: "open-" + a.id, onclick: () => openCase(a.id)}, TD.t("agency.open"))],
    TD.t("agency.none"));
  if (!r.single) loadStats();
  return r;
}

function fact(dl, key, value) { dl.append(TD.el("dt", {}, TD.t(key)), TD.el("dd", {}, value ?? "—")); }

async function openCase(id) {
  const a = await TD.api("GET", "/api/agency/assignments/" + id);
  current = a;
  document.getElementById("case").hidden = false;
  document.getElementById("case-title").textContent = TD.t("agency.case", {ticket: a.ticket});
  const dl = document.getElementById("case-facts");
  dl.replaceChildren();
  fact(dl, "agency.field", TD.label("field", a.field));
  fact(dl, "agency.area", TD.label("area", a.area));
  fact(dl, "agency.address", a.address);
  fact(dl, "agency.summary", a.summary);
  fact(dl, "agency.note", a.note);
  fact(dl, "agency.received", TD.when(a.created_at));
  fact(dl, "agency.deadline", deadline(a));
  fact(dl, "agency.state", stateOf(a));
  if (a.caller_number) fact(dl, "agency.caller", TD.el("a", {href: "tel:" + a.caller_number, id: "case-caller"}, a.caller_number));
  if (a.recording_shared) fact(dl, "agency.recording", TD.el("audio", {controls: "", preload: "none", id: "case-recording",
    src: `/api/agency/assignments/${a.id}/recording`}));
  if (a.reason) fact(dl, "agency.reason", a.reason);
  if (a.extension_until) fact(dl, "agency.proposed", TD.when(a.extension_until));
  if (a.review_comment) fact(dl, "agency.review_comment", a.review_comment);
  document.getElementById("case-actions").hidden = !a.open;
  document.getElementById("ack").hidden = a.delivery === "acknowledged";
  const view = document.getElementById("case-answer-view");
  view.hidden = !a.answer;
  document.getElementById("case-answer-text").textContent = a.answer || "";
  document.getElementById("case-files").replaceChildren(...a.attachments.map((f) => TD.el("li", {},
    TD.el("a", {href: `/api/agency/assignments/${a.id}/files/${f.id}`}, f.filename))));
  if (location.hash !== "#" + a.id) history.replaceState(null, "", "#" + a.id);
  document.getElementById("case").scrollIntoView({block: "start"});
}

async function act(path, data, done) {
  await TD.run(async () => {
    await TD.api("POST", `/api/agency/assignments/${current.id}/${path}`, data);
    TD.flash(TD.t(done));
    await loadList();
    await openCase(current.id);
  });
}

document.getElementById("ack").addEventListener("click", () => act("acknowledge", {}, "agency.acknowledged"));

document.getElementById("answer-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData();
  form.append("text", document.getElementById("answer-text").value);
  for (const f of document.getElementById("answer-files").files) form.append("files", f, f.name);
  await TD.run(async () => {
    const r = await fetch(`/api/agency/assignments/${current.id}/answer`, {method: "POST", body: form,
      headers: {"X-CSRF-Token": TD.csrf}, credentials: "same-origin"});
    const body = await r.json().catch(() => ({}));
    if (!r.ok) { const e = new Error(body.error || r.statusText); e.body = body; throw e; }
    TD.flash(TD.t("agency.answered"));
    ev.target.reset();
    await loadList();
    await openCase(current.id);
  });
});

document.getElementById("reject-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act("reject", {reason: document.getElementById("reject-reason").value,
    suggested_agency: document.getElementById("reject-agency").value}, "agency.rejected");
});

document.getElementById("extension-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  act("extension", {reason: document.getElementById("extension-reason").value,
    until: document.getElementById("extension-until").value}, "agency.extension_asked");
});

// a link to another case of the same page (/agency#12) opens it without a reload
window.addEventListener("hashchange", () => {
  const id = Number(location.hash.slice(1));
  if (id && (!current || current.id !== id)) TD.run(() => openCase(id));
});

TD.run(async () => {
  const r = await loadList();
  const wanted = Number(location.hash.slice(1)) || (r.single && r.assignments.length ? r.assignments[0].id : 0);
  if (wanted) await openCase(wanted);
});
