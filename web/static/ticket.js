// One ticket: facts, edit form, recordings (each playback is audited by the server), timeline.
"use strict";
const code = document.getElementById("ticket").dataset.code;

function describe(detail) {
  return detail ? Object.entries(detail).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ") : "";
}

async function load() {
  const t = await TD.api("GET", "/api/tickets/" + encodeURIComponent(code));
  const facts = [["Số gọi / Caller", t.caller_number], ["Loại / Kind", t.kind], ["Lĩnh vực / Field", t.field],
    ["Trạng thái / Status", t.status], ["Ưu tiên / Priority", t.priority], ["Hàng đợi / Queue", t.queue],
    ["Agent", t.agent], ["Chờ / Wait", t.wait_s != null ? t.wait_s + " s" : null], ["Nói / Talk", t.talk_s != null ? t.talk_s + " s" : null],
    ["Tạo / Created", TD.when(t.created_at)], ["Nội dung / Summary", t.summary]];
  document.getElementById("facts").replaceChildren(...facts.flatMap(([k, v]) => [TD.el("dt", {}, k), TD.el("dd", {}, v ?? "—")]));
  document.getElementById("recordings").replaceChildren(...(t.recordings.length ? t.recordings.map((r) => TD.el("li", {},
    `${r.kind} ${r.duration_s ? r.duration_s.toFixed(1) + " s" : ""} ${r.status} `,
    r.status === "purged" ? "" : TD.el("audio", {controls: "", preload: "none", src: r.url, id: "rec-" + r.id}))) : [TD.el("li", {}, "—")]));
  TD.rows(document.querySelector("#timeline tbody"), t.events, (e) => [TD.when(e.at), e.kind, describe(e.detail)]);
  const form = document.getElementById("ticket-form");
  form.hidden = !t.can_edit;
  if (t.can_edit) {
    document.getElementById("t-field").value = t.field || "";
    document.getElementById("t-priority").value = String(t.priority);
    document.getElementById("t-status").value = t.status;
    document.getElementById("t-summary").value = t.summary || "";
  }
}

async function save(ev) {
  ev.preventDefault();
  const change = {summary: document.getElementById("t-summary").value, priority: Number(document.getElementById("t-priority").value)};
  const field = document.getElementById("t-field").value, status = document.getElementById("t-status").value;
  if (field) change.field = field;
  if (status) change.status = status;
  await TD.api("PATCH", "/api/tickets/" + encodeURIComponent(code), change);
  const note = document.getElementById("t-note");
  if (note.value.trim()) { await TD.api("POST", `/api/tickets/${encodeURIComponent(code)}/notes`, {text: note.value}); note.value = ""; }
  TD.flash("Đã lưu / Saved");
  await load();
}

(async () => {
  const site = await TD.site();
  await TD.fillSelect(document.getElementById("t-field"), site.fields.map((f) => [f.key, `${f.vi} / ${f.en}`]), "—");
  await TD.fillSelect(document.getElementById("t-status"), site.case_statuses.map((s) => [s, s]), "—");
  document.getElementById("ticket-form").onsubmit = (ev) => TD.run(() => save(ev));
  TD.run(load);
})();
