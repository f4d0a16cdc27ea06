// Callback worker: due callbacks in queue order (claim, dial: your phone first, outcome, voicemail)
// and the finished ones (done or unreachable) with their outcome and when. A callback that brings
// the citizen an agency's answer shows the approved answers under the summary, to be read out.
"use strict";
const OUTCOMES = ["reached", "no_answer", "busy", "wrong_number", "resolved"];
let tab = "due";

function what(c) {
  const answers = (c.answers || []).map((a, i) => TD.el("p", {class: "cb-answer", id: `answer-${c.id}-${i}`},
    TD.el("strong", {}, TD.t("callbacks.answer_of", {agency: a.agency_name})), " ", a.text));
  return [TD.label("field", c.field), TD.el("div", {}, TD.el("span", {class: "cb-summary"}, c.summary || "—"), ...answers)];
}

async function loadDue() {
  const r = await TD.api("GET", "/api/callbacks");
  TD.rows(document.querySelector("#callbacks tbody"), r.callbacks, (c) => {
    const mine = c.state === "claimed" && c.claimed_by === TD.extension;
    const actions = TD.el("span", {class: "cb-actions"});
    if (c.state === "pending" && (TD.role === "callback" || TD.role === "admin")) {
      actions.append(TD.el("button", {id: "claim-" + c.id, onclick: () => act(c.id, "claim")}, TD.t("callbacks.claim")));
    }
    if (mine) {
      actions.append(TD.el("button", {id: "dial-" + c.id, class: "go", onclick: () => act(c.id, "dial")}, TD.t("callbacks.dial")));
      const sel = TD.el("select", {id: "outcome-" + c.id, "aria-label": TD.t("story.entry.outcome")},
        ...OUTCOMES.map((o) => TD.el("option", {value: o}, TD.label("cb_outcome", o))));
      actions.append(sel, TD.el("button", {id: "record-" + c.id, onclick: () => act(c.id, "outcome", {outcome: sel.value})},
        TD.t("callbacks.record")));
    }
    const vm = c.voicemail ? TD.el("audio", {controls: "", preload: "none", src: c.voicemail}) : "—";
    const state = c.claimed_by ? TD.t("callbacks.by", {state: TD.label("cb_state", c.state), agent: c.claimed_by})
      : TD.label("cb_state", c.state);
    return [String(c.id), TD.ticketLink(c.ticket), ...what(c), c.number, TD.when(c.due_at) + (c.due ? " · " + TD.t("callbacks.due_now") : ""),
      String(c.attempts), state, vm, actions];
  }, TD.t("callbacks.none_due"));
}

async function loadHistory() {
  const r = await TD.api("GET", "/api/callbacks?history=1");
  TD.rows(document.querySelector("#callbacks-done tbody"), r.callbacks, (c) => [String(c.id), TD.ticketLink(c.ticket),
    ...what(c), c.number, TD.label("cb_state", c.state), TD.label("cb_outcome", c.outcome), String(c.attempts),
    TD.when(c.updated_at), c.claimed_by || "—"], TD.t("callbacks.none_done"));
}

async function load() {
  await (tab === "due" ? loadDue() : loadHistory());
  document.body.dataset.loaded = String(Date.now());
}

function show(which) {
  tab = which;
  for (const name of ["due", "history"]) {
    document.getElementById(name).hidden = name !== which;
    document.getElementById("tab-" + name).setAttribute("aria-selected", String(name === which));
  }
  TD.run(load);
}

function act(id, action, data) {
  return TD.run(async () => {
    const r = await TD.api("POST", `/api/callbacks/${id}/${action}`, data || {});
    TD.flash(action === "dial" ? TD.t("callbacks.dialling", {seat: r.seat})
      : action === "claim" ? TD.t("callbacks.claimed", {id})
      : TD.t("callbacks.recorded", {id, outcome: TD.label("cb_outcome", r.outcome)}));
    await load();
  });
}

document.getElementById("tab-due").onclick = () => show("due");
document.getElementById("tab-history").onclick = () => show("history");
TD.run(load);
setInterval(() => TD.run(load), 10000);
