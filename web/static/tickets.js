// Ticket search.
"use strict";
async function search(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(document.getElementById("search"))) if (v) q.set(k, v);
  const r = await TD.api("GET", "/api/tickets?" + q);
  TD.rows(document.querySelector("#results tbody"), r.tickets, (t) => [TD.ticketLink(t.code), TD.when(t.created_at),
    t.caller_number || "", t.kind || "", t.field || "", t.status, t.agent || "", t.summary]);
}
(async () => {
  const site = await TD.site();
  await TD.fillSelect(document.getElementById("q-field"), site.fields.map((f) => [f.key, `${f.vi} / ${f.en}`]), "—");
  await TD.fillSelect(document.getElementById("q-status"), site.statuses.map((s) => [s, s]), "—");
  document.getElementById("search").onsubmit = (ev) => TD.run(() => search(ev));
  TD.run(search);
})();
