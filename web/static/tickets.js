// Ticket search: filters, "Showing 100 of N", newer / older pages.
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

(async () => {
  const site = await TD.site();
  const any = TD.t("tickets.any");
  await TD.fillSelect(document.getElementById("q-field"), site.fields.map((f) => [f.key, TD.label("field", f.key)]), any);
  await TD.fillSelect(document.getElementById("q-area"), site.areas.map((a) => [a, TD.label("area", a)]), any);
  await TD.fillSelect(document.getElementById("q-status"), site.statuses.map((s) => [s, TD.label("status", s)]), any);
  document.getElementById("search").onsubmit = (ev) => { ev.preventDefault(); offset = 0; TD.run(search); };
  document.getElementById("prev").onclick = () => { offset = Math.max(0, offset - PAGE); TD.run(search); };
  document.getElementById("next").onclick = () => { offset += PAGE; TD.run(search); };
  TD.run(search);
})();
