// A compact "forward to agencies" box for one ticket, as the agent desk shows it under the pop: what
// the ticket is already forwarded to (agency, deadline, processing) and its status, then the agencies
// that handle its field in its area (GET /api/tickets/{code}/suggest, best first: the routing rule's
// pick is ticked), a note and one button (POST .../forward). The page says when the ticket is ready
// (its saved field and area), saves its own unsaved entry first (`before`) and hears the ticket's new
// status (`changed`); the box never guesses for a field or area not saved: the server routes on the
// stored ticket.
"use strict";
TD.agencyPick = (box, {before, changed}) => {
  const q = (sel) => box.querySelector(sel);
  const api = (code, tail) => `/api/tickets/${encodeURIComponent(code)}/${tail}`;
  let shown = {code: null, mode: "off", key: ""};  // key: code|field|area the data below was read for
  let listing = null, suggested = [];

  function forwarded(data) {
    q("#fwd-done").replaceChildren(...data.assignments.map((a) => TD.el("li", {class: a.overdue ? "overdue" : null},
      TD.el("b", {}, a.agency_name), " · ", TD.t("desk.fwd_deadline", {deadline: TD.when(a.deadline_at)}),
      " · ", TD.label("fwd.processing", a.processing),
      ...(a.overdue ? [" · ", TD.el("strong", {}, TD.t("fwd.overdue"))] : []))));
    q("#fwd-done").hidden = !data.assignments.length;
    q("#fwd-status").hidden = !data.assignments.length;
    q("#fwd-status").textContent = TD.t("desk.fwd_status", {status: TD.label("status", data.status)});
  }

  function choices(data) {
    const holding = new Set(data.assignments.filter((a) => a.processing !== "closed").map((a) => a.agency));
    const free = suggested.filter((a) => !holding.has(a.key));
    const pick = suggested.length && !holding.has(suggested[0].key) ? suggested[0].key : null;
    q("#fwd-choices").replaceChildren(q("#fwd-choices legend"), ...free.map((a) => TD.el("label", {class: "fwd-choice"},
      TD.el("input", {type: "checkbox", value: a.key, ...(a.key === pick ? {checked: ""} : {})}),
      TD.el("span", {}, a.name, a.key === pick ? TD.el("span", {class: "muted"}, ` (${TD.t("fwd.suggested")})`) : ""))));
    q("#fwd-form").hidden = !free.length;
    if (!free.length && !data.assignments.length) hint(TD.t("fwd.no_candidates"));
  }

  function hint(text) { q("#fwd-hint").textContent = text || ""; q("#fwd-hint").hidden = !text; }

  function render() {
    const {mode} = shown;
    box.hidden = mode === "off";
    hint({need_field: TD.t("desk.fwd_need_field"), need_area: TD.t("desk.fwd_need_area"),
      unsaved: TD.t("desk.fwd_unsaved")}[mode]);
    q("#fwd-save").hidden = mode !== "unsaved";
    q("#fwd-form").hidden = true;
    q("#fwd-done").hidden = q("#fwd-status").hidden = true;
    if (!listing || !(mode === "ready" || mode === "unsaved")) return;
    forwarded(listing);
    if (mode === "ready") choices(listing);
  }

  async function load(code, key) {
    const data = await TD.api("GET", api(code, "assignments"));
    const found = data.can_forward ? (await TD.api("GET", api(code, "suggest"))).agencies : [];
    if (shown.code !== code || shown.key !== key) return;  // another ticket (or its entry) since: not ours
    if (!data.can_forward) shown.mode = "off";
    listing = data; suggested = found;
    render();
  }

  async function send() {
    const keys = [...box.querySelectorAll("#fwd-choices input:checked")].map((i) => i.value);
    if (!keys.length) { TD.flash(TD.t("forwarding.err_no_agencies"), true); return; }
    const {code} = shown;
    if (!(await before())) return;  // the desk's unsaved entry could not be saved: it says why
    try {
      listing = await TD.api("POST", api(code, "forward"), {agencies: keys, note: q("#fwd-note").value});
      q("#fwd-note").value = "";
      render();
      TD.flash(TD.t("fwd.sent"));
      changed(listing);
    } catch (e) {
      TD.flash(TD.explain(e), true);  // the server says the refusal in the reader's words
      await load(code, shown.key);   // and the box shows what is true now (e.g. forwarded from elsewhere)
      if (listing && shown.code === code) changed(listing);
    }
  }
  q("#fwd-send").onclick = () => TD.run(send);

  return {
    // mode: off | need_field | need_area | unsaved | ready; `saved` is the ticket's stored field and area
    show(code, mode, saved) {
      const key = `${code}|${saved.field || ""}|${saved.area || ""}`;
      if (code !== shown.code) q("#fwd-note").value = "";
      if (key !== shown.key) { listing = null; suggested = []; }
      const fresh = key !== shown.key || !listing;
      shown = {code, mode, key};
      render();
      if (fresh && mode === "ready") TD.run(() => load(code, key));
    },
    // a ticket ready to go with nothing forwarded yet: the desk keeps it in front after the call
    waiting() { return shown.mode === "ready" && !!listing && !listing.assignments.length && !!suggested.length; },
    noteTyped() { return q("#fwd-note").value.trim() !== ""; },
  };
};
