// The agent desk's list of reports from the web waiting for triage (issue 17), oldest first, redrawn
// every 20 s: code, field, ward, age and photos. Clicking a code takes the report (it becomes this
// agent's and open; of two agents at once one wins) and opens its ticket page, where the agent sets
// the field, area and summary and forwards it. Someone faster: said in words, the list redrawn. An
// account that is not an agent (an admin looking) follows the link to the ticket page as it is.
"use strict";
TD.triageList = async (box) => {
  const age = (s) => s < 3600 ? TD.t("desk.age_minutes", {n: Math.floor(s / 60)})
    : s < 172800 ? TD.t("desk.age_hours", {n: Math.floor(s / 3600)}) : TD.t("desk.age_days", {n: Math.floor(s / 86400)});
  const open = (ev, code) => {
    if (TD.role !== "agent") return;
    ev.preventDefault();
    TD.run(async () => {
      try {
        await TD.api("POST", `/api/triage/${encodeURIComponent(code)}/take`);
      } catch (e) { await draw(); throw e; }
      location.href = "/tickets/" + encodeURIComponent(code);
    });
  };
  const draw = async () => {
    const r = await TD.api("GET", "/api/triage");
    const tbody = TD.el("tbody");
    box.replaceChildren(TD.el("h2", {id: "triage-title"}, TD.t("desk.triage_title", {n: r.total})),
      TD.el("p", {class: "muted"}, TD.t("desk.triage_hint")),
      TD.el("table", {id: "triage-list"}, TD.el("thead", {}, TD.el("tr", {},
        ...["desk.triage_code", "desk.field", "desk.area", "desk.triage_age", "desk.triage_photos"].map((k) => TD.el("th", {}, TD.t(k))))),
      tbody));
    TD.rows(tbody, r.waiting, (w) => [TD.el("a", {href: "/tickets/" + encodeURIComponent(w.code), id: "triage-" + w.code,
      onclick: (ev) => open(ev, w.code)}, w.code), TD.label("field", w.field), TD.label("area", w.area), age(w.age_s),
    String(w.photos)], TD.t("desk.triage_none"));
    box.dataset.total = String(r.total);
    box.hidden = false;
  };
  await draw();
  setInterval(() => TD.run(draw), 20000);
};
