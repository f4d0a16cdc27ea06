// Supervisor wallboard: queues and agents live over the websocket; listen / whisper / barge.
"use strict";
let board = null, received = 0;

// A pause reason's name; the automatic pause after unanswered rings has its own message.
function reasonLabel(r) {
  if (TD.catalog["reason." + r] !== undefined) return TD.label("reason", r);
  return r === "no answer" ? TD.t("wallboard.reason_no_answer") : r;
}
const MODES = ["listen", "whisper", "barge"];

function supervise(agent, mode) {
  return TD.run(async () => {
    const r = await TD.api("POST", "/api/supervise", {agent, mode});
    TD.flash(TD.t("wallboard.phone_rings", {mode: TD.label("mode", mode), phone: "supervisor" + r.seat}));
  });
}

// A figure in a cell, coloured by its level (normal / amber / red) from the site's thresholds.
function figure(text, lvl) {
  return TD.el("span", {class: "figure level-" + (lvl || "normal"), "data-level": lvl || "normal"}, text);
}

// The longest wait counts up between pushes; its level follows it.
function waitLevel(q, age) {
  const t = board.thresholds;
  if (!q.waiting || !t) return "normal";
  const s = q.longest_wait_s + age;
  return s >= t.wait_red_s ? "red" : s >= t.wait_amber_s ? "amber" : q.levels.longest_wait;
}

function stateText(a) {
  return TD.label("state", a.state) + (a.reason ? ` (${reasonLabel(a.reason)})` : "");
}

// The agencies' cases past their deadline, in the bar (red when any); hidden when unknown.
function drawOverdue() {
  let box = document.getElementById("overdue");
  if (!box) {
    box = TD.el("span", {id: "overdue", title: TD.t("wallboard.overdue_hint")});
    document.querySelector(".bar").append(box);
  }
  box.hidden = board.overdue === null || board.overdue === undefined;
  if (!box.hidden) box.replaceChildren(figure(TD.t("wallboard.overdue", {n: board.overdue}), board.overdue_level));
}

// The citizens' reports from the web waiting for an agent's triage, in the bar (amber when any).
function drawWebWaiting() {
  let box = document.getElementById("web-waiting");
  if (!box) {
    box = TD.el("span", {id: "web-waiting", title: TD.t("wallboard.web_waiting_hint")});
    document.querySelector(".bar").append(box);
  }
  box.hidden = board.web_waiting === null || board.web_waiting === undefined;
  if (!box.hidden) box.replaceChildren(figure(TD.t("wallboard.web_waiting", {n: board.web_waiting}), board.web_waiting_level));
}

function draw() {
  if (!board) return;
  const age = (Date.now() - received) / 1000;
  document.getElementById("ami-down").hidden = board.ami !== false;
  drawOverdue();
  drawWebWaiting();
  document.getElementById("sl-heading").title = TD.t("wallboard.service_level_hint", {s: board.service_level_s});
  TD.rows(document.querySelector("#queues tbody"), board.queues, (q) => [TD.label("queue", q.queue),
    figure(String(q.waiting), q.levels.waiting),
    figure(q.waiting ? TD.clock(q.longest_wait_s + age) : "—", waitLevel(q, age)),
    String(q.agents.ready), String(q.agents.talking), String(q.agents.wrapup), String(q.agents.paused),
    String(q.offered), String(q.answered), figure(String(q.abandoned), q.levels.abandoned),
    figure(TD.pct(q.service_level), q.levels.service_level)], TD.t("wallboard.no_queues"));
  const tbody = document.querySelector("#agents tbody");
  const mayListen = TD.role !== "leader";
  TD.rows(tbody, board.agents, (a) => [
    TD.el("span", {}, a.name, " ", TD.el("span", {class: "muted"}, a.agent)),
    stateText(a), TD.clock(a.seconds + age),
    a.queues.map((q) => TD.label("queue", q)).join(", ") || "—", a.ticket ? TD.ticketLink(a.ticket) : "—",
    mayListen ? TD.el("span", {class: "supervise"}, ...MODES.map((m) => TD.el("button",
      {id: `${m}-${a.agent}`, type: "button", disabled: a.state === "talking" ? null : "disabled",
        onclick: () => supervise(a.agent, m)}, TD.label("mode", m)))) : "—"], TD.t("wallboard.no_agents"));
  if (!board.agents.length) return;
  tbody.querySelectorAll("tr").forEach((tr, i) => {
    tr.id = "agent-" + board.agents[i].agent;
    tr.dataset.state = board.agents[i].state;
  });
}

TD.on("wallboard", (m) => { board = m; received = Date.now(); draw(); });
setInterval(draw, 1000);
