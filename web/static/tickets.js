// Ticket search: filters, "Showing 100 of N", newer / older pages; for supervisors and leaders, the
// export of a period (XLSX / CSV) written by the server in the background, its progress polled.
"use strict";
const PAGE = 100;
let offset = 0;

function query() {
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(document.getElementById("search"))) if (v) q.set(k, v);
  q.set("limit", String(PAGE));
  if (offset) q.set("offset", String(offset));
  return q;
}

async function search() {
  const r = await TD.api("GET", "/api/tickets?" + query());
  TD.rows(document.querySelector("#results tbody"), r.tickets, (t) => [TD.ticketLink(t.code), TD.when(t.created_at),
    t.caller_number || "—", TD.label("kind", t.kind), TD.label("field", t.field), TD.label("area", t.area),
    t.overdue ? TD.el("span", {}, TD.label("status", t.status), " ", TD.el("b", {class: "error overdue"}, TD.t("tickets.overdue")))
      : TD.label("status", t.status), t.agent || "—", t.summary || "—"], TD.t("tickets.none"));
  const shown = r.tickets.length;
  document.getElementById("count").textContent = !r.total ? "" : (r.offset
    ? TD.t("tickets.range", {first: r.offset + 1, last: r.offset + shown, total: r.total})
    : TD.t("tickets.showing", {shown, total: r.total}));
  document.getElementById("prev").hidden = r.offset <= 0;
  document.getElementById("next").hidden = r.offset + shown >= r.total;
  document.body.dataset.loaded = String(Date.now());
}

// ---- the export of a period: start it, poll its progress, then offer the file ----
const POLL_MS = 700;

function exportShown(job) {
  const bar = document.getElementById("x-progress"), status = document.getElementById("x-status");
  const file = document.getElementById("x-file");
  document.getElementById("x-box").hidden = false;
  bar.max = Math.max(job.total, 1);
  bar.value = job.state === "done" ? bar.max : job.done;
  status.className = job.state === "failed" ? "error" : "";
  status.textContent = job.state === "done" ? TD.t("export.done", {total: job.total})
    : job.state === "failed" ? TD.t("export.failed")
      : job.total ? TD.t("export.running", {done: job.done, total: job.total}) : TD.t("export.starting");
  file.hidden = job.state !== "done";
  if (job.state === "done") {
    file.href = job.file;
    file.download = job.filename;
    file.textContent = TD.t("export.download", {filename: job.filename});
  }
  document.getElementById("x-go").disabled = job.state === "running";
}

async function exportPeriod(ev) {
  ev.preventDefault();
  const form = new FormData(document.getElementById("export-form")), status = document.getElementById("x-status");
  let job;
  try {
    job = await TD.api("POST", "/api/exports", {from: form.get("from"), to: form.get("to"), format: form.get("format")});
  } catch (e) {
    document.getElementById("x-box").hidden = false;
    document.getElementById("x-file").hidden = true;
    status.className = "error";
    status.textContent = TD.explain(e);
    return;
  }
  exportShown(job);
  while (job.state === "running") {
    await new Promise((done) => setTimeout(done, POLL_MS));
    job = await TD.api("GET", "/api/exports/" + encodeURIComponent(job.id));
    exportShown(job);
  }
}

(async () => {
  const site = await TD.site();
  const any = TD.t("tickets.any");
  await TD.fillSelect(document.getElementById("q-field"), site.fields.map((f) => [f.key, TD.label("field", f.key)]), any);
  await TD.fillSelect(document.getElementById("q-area"), site.areas.map((a) => [a, TD.label("area", a)]), any);
  await TD.fillSelect(document.getElementById("q-status"), site.statuses.map((s) => [s, TD.label("status", s)]), any);
  document.getElementById("search").onsubmit = (ev) => { ev.preventDefault(); offset = 0; TD.run(search); };
  document.getElementById("prev").onclick = () => { offset = Math.max(0, offset - PAGE); TD.run(search); };
  document.getElementById("next").onclick = () => { offset += PAGE; TD.run(search); };
  const exporting = document.getElementById("export-form");
  if (exporting) exporting.onsubmit = (ev) => TD.run(() => exportPeriod(ev));
  TD.run(search);
})();
