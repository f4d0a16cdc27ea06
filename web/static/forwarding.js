// The ticket page's forwarding section: the ticket's assignments (agency, notification, processing,
// deadline in the site's time, overdue marked), the forward form with the suggested agencies ticked,
// reroute after a rejection, the supervisor's approve / return of an answer, grant or refuse of a
// request for more time, and what is shared with each agency (the call's recording, the caller's number).
"use strict";
(() => {
  const section = document.getElementById("forwarding");
  if (!section) return;
  const code = section.dataset.code, q = (sel) => section.querySelector(sel);
  const url = (tail) => `/api/tickets/${encodeURIComponent(code)}/${tail}`;
  // each action writes a step on the ticket's timeline (and may move its status): ticket.js reloads it
  const changed = () => document.dispatchEvent(new CustomEvent("td:ticket-changed"));

  function status(a) {
    const out = [TD.label("fwd.processing", a.processing)];
    if (a.overdue) out.push(TD.el("strong", {class: "error"}, " " + TD.t("fwd.overdue")));
    if (a.late !== null && a.late !== undefined) out.push(" · " + TD.t(a.late ? "fwd.late" : "fwd.on_time"));
    if (a.reason) out.push(TD.el("div", {class: "muted"}, TD.t("fwd.reason", {reason: a.reason})));
    if (a.suggested_agency) out.push(TD.el("div", {class: "muted"}, TD.t("fwd.suggested_agency", {agency: a.suggested_agency})));
    if (a.review === "returned" && a.review_comment) out.push(TD.el("div", {class: "muted"}, TD.t("fwd.returned_comment", {comment: a.review_comment})));
    if (a.replaces) out.push(TD.el("div", {class: "muted"}, TD.t("fwd.replaces", {id: a.replaces})));
    if (a.extension_until) out.push(TD.el("div", {class: "muted"}, TD.t("fwd.asked_until", {until: TD.when(a.extension_until)})));
    for (const what of ["recording", "caller"]) {
      if (a["shared_" + what]) out.push(TD.el("div", {class: "muted fwd-shared"}, TD.t("fwd.shared_" + what)));
    }
    return TD.el("span", {}, ...out);
  }

  function shares(a, data) {
    if (!data.can_review) return "";
    return TD.el("div", {class: "fwd-shares"}, ...["recording", "caller"].map((what) => {
      const on = a["shared_" + what];
      return TD.el("button", {type: "button", id: `share-${what}-${a.id}`, "aria-pressed": on ? "true" : "false",
        onclick: () => TD.run(async () => {
          render(await TD.api("POST", `/api/assignments/${a.id}/share`, {what, shared: !on}));
          changed();
          TD.flash(TD.t("fwd.shares_changed"));
        })}, TD.t((on ? "fwd.unshare_" : "fwd.share_") + what));
    }));
  }

  function extension(a) {
    const until = TD.el("input", {id: `until-${a.id}`, inputmode: "numeric", placeholder: "dd/mm/yyyy HH:mm",
      "aria-label": TD.t("fwd.new_deadline"), value: a.extension_until ? TD.when(a.extension_until) : ""});
    const comment = TD.el("input", {id: `extension-comment-${a.id}`, maxlength: "2000",
      placeholder: TD.t("fwd.extension_comment"), "aria-label": TD.t("fwd.extension_comment")});
    const decide = (decision, done) => TD.run(async () => {
      render(await TD.api("POST", `/api/assignments/${a.id}/extension`, {decision, until: until.value, comment: comment.value}));
      changed();
      TD.flash(TD.t(done));
    });
    return TD.el("div", {class: "fwd-extension"}, TD.el("label", {}, TD.t("fwd.new_deadline"), " ", until), " ", comment, " ",
      TD.el("button", {type: "button", class: "go", id: `grant-${a.id}`, onclick: () => decide("grant", "fwd.granted")}, TD.t("fwd.grant")),
      " ", TD.el("button", {type: "button", id: `refuse-${a.id}`, onclick: () => decide("refuse", "fwd.refused")}, TD.t("fwd.refuse")));
  }

  function actions(a, data, agencies) {
    return TD.el("span", {}, decision(a, data, agencies), shares(a, data));
  }

  function decision(a, data, agencies) {
    if (a.processing === "extension_requested" && data.can_review) return extension(a);
    if (a.processing === "rejected" && data.can_forward) {
      const others = agencies.filter((x) => x.key !== a.agency && x.fields.includes(data.field));
      const pick = TD.el("select", {"aria-label": TD.t("fwd.reroute_to")},
        ...others.map((x) => TD.el("option", {value: x.key}, x.name)));
      if (a.suggested_agency && others.some((x) => x.key === a.suggested_agency)) pick.value = a.suggested_agency;
      return TD.el("span", {}, pick, " ", TD.el("button", {type: "button", onclick: () => TD.run(async () => {
        render(await TD.api("POST", `/api/assignments/${a.id}/reroute`, {agency: pick.value, note: ""}));
        changed();
        TD.flash(TD.t("fwd.rerouted"));
      })}, TD.t("fwd.reroute")));
    }
    if (a.processing === "answered" && data.can_review) {
      const comment = TD.el("input", {maxlength: "2000", placeholder: TD.t("fwd.comment"), "aria-label": TD.t("fwd.comment")});
      const decide = (decision, done) => TD.run(async () => {
        render(await TD.api("POST", `/api/assignments/${a.id}/review`, {decision, comment: comment.value}));
        changed();
        TD.flash(TD.t(done));
      });
      return TD.el("span", {}, comment, " ", TD.el("button", {type: "button", class: "go", onclick: () => decide("approve", "fwd.approved")}, TD.t("fwd.approve")),
        " ", TD.el("button", {type: "button", onclick: () => decide("return", "fwd.returned")}, TD.t("fwd.return")));
    }
    return "";
  }

  let agencies = [];
  function render(data) {
    TD.rows(q("tbody"), data.assignments, (a) => [a.agency_name, TD.label("fwd.delivery", a.delivery), status(a),
      TD.el("time", {datetime: a.deadline_at, class: a.overdue ? "error" : null}, TD.when(a.deadline_at)),
      a.answer || "—", actions(a, data, agencies)], TD.t("fwd.none"));
    q("form").hidden = !data.can_forward;
  }

  async function candidates(data) {
    const suggested = data.can_forward ? (await TD.api("GET", url("suggest"))).agencies.map((a) => a.key) : [];
    const holding = new Set(data.assignments.filter((a) => a.processing !== "closed").map((a) => a.agency));
    const fit = agencies.filter((a) => data.field && a.fields.includes(data.field) && !holding.has(a.key) &&
      (!a.areas.length || !data.area || a.areas.includes(data.area)));
    fit.sort((a, b) => (suggested.indexOf(a.key) + 1 || 999) - (suggested.indexOf(b.key) + 1 || 999));
    q(".fwd-choices").replaceChildren(...(fit.length ? fit.map((a) => TD.el("label", {},
      TD.el("input", {type: "checkbox", value: a.key, ...(suggested[0] === a.key ? {checked: ""} : {})}), " " + a.name,
      suggested.includes(a.key) ? TD.el("span", {class: "muted"}, " (" + TD.t("fwd.suggested") + ")") : ""))
      : [TD.el("p", {class: "muted"}, TD.t("fwd.no_candidates"))]));
  }

  async function load() {
    agencies = (await TD.api("GET", "/api/agencies")).agencies;
    const data = await TD.api("GET", url("assignments"));
    render(data);
    if (data.can_forward) await candidates(data);
  }

  q("form").onsubmit = (ev) => { ev.preventDefault(); TD.run(async () => {
    const keys = [...section.querySelectorAll(".fwd-choices input:checked")].map((i) => i.value);
    const data = await TD.api("POST", url("forward"), {agencies: keys, note: q("textarea").value});
    q("textarea").value = "";
    render(data);
    changed();
    await candidates(data);
    TD.flash(TD.t("fwd.sent"));
  }); };
  TD.run(load);
})();
