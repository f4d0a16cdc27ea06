// Callback worker: due callbacks in queue order, claim, dial (your phone first), outcome, voicemail.
"use strict";
const OUTCOMES = ["reached", "no_answer", "busy", "wrong_number", "resolved"];

async function load() {
  const r = await TD.api("GET", "/api/callbacks");
  TD.rows(document.querySelector("#callbacks tbody"), r.callbacks, (c) => {
    const mine = c.state === "claimed" && c.claimed_by === TD.extension;
    const actions = TD.el("span", {});
    if (c.state === "pending") actions.append(TD.el("button", {id: "claim-" + c.id, onclick: () => act(c.id, "claim")}, "Nhận / Claim"));
    if (mine) {
      actions.append(TD.el("button", {id: "dial-" + c.id, class: "go", onclick: () => act(c.id, "dial")}, "Gọi / Dial"));
      const sel = TD.el("select", {id: "outcome-" + c.id}, ...OUTCOMES.map((o) => TD.el("option", {value: o}, o)));
      actions.append(sel, TD.el("button", {onclick: () => act(c.id, "outcome", {outcome: sel.value})}, "Kết quả / Outcome"));
    }
    const vm = c.voicemail ? TD.el("audio", {controls: "", preload: "none", src: c.voicemail}) : "—";
    return [String(c.id), TD.ticketLink(c.ticket), c.number, TD.when(c.due_at) + (c.due ? " ●" : ""), String(c.attempts),
      c.state + (c.claimed_by ? " · " + c.claimed_by : ""), vm, actions];
  });
  document.body.dataset.loaded = String(Date.now());
}

function act(id, what, data) {
  return TD.run(async () => {
    const r = await TD.api("POST", `/api/callbacks/${id}/${what}`, data || {});
    TD.flash(r.message || `${what}: ${id}`);
    await load();
  });
}

TD.run(load);
setInterval(() => TD.run(load), 10000);
