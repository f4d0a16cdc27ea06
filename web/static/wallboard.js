// Supervisor wallboard: queues and agents live over the websocket; listen / whisper / barge.
"use strict";
let board = null, received = 0;

function supervise(agent, mode) {
  return TD.run(async () => {
    const r = await TD.api("POST", "/api/supervise", {agent, mode});
    TD.flash(r.message);
  });
}

function draw() {
  if (!board) return;
  const age = (Date.now() - received) / 1000;
  TD.rows(document.querySelector("#queues tbody"), board.queues, (q) => [q.queue, String(q.waiting),
    q.waiting ? TD.clock(q.longest_wait_s + age) : "—", String(q.agents.ready), String(q.agents.talking),
    String(q.agents.wrapup), String(q.agents.paused), String(q.offered), String(q.answered), String(q.abandoned),
    TD.pct(q.service_level)]);
  const tbody = document.querySelector("#agents tbody");
  TD.rows(tbody, board.agents, (a) => [a.agent, a.state + (a.reason ? ` (${a.reason})` : ""), TD.clock(a.seconds + age),
    a.queues.join(", "), a.ticket ? TD.ticketLink(a.ticket) : "—",
    TD.el("span", {}, ...["listen", "whisper", "barge"].map((m) => TD.el("button",
      {id: `${m}-${a.agent}`, disabled: a.state === "talking" ? null : "disabled", onclick: () => supervise(a.agent, m)}, m)))]);
  for (const tr of tbody.children) tr.dataset.state = tr.children[1].textContent.split(" ")[0];
  tbody.querySelectorAll("tr").forEach((tr, i) => { tr.id = "agent-" + board.agents[i].agent; });
}

TD.live((m) => { if (m.type === "wallboard") { board = m; received = Date.now(); draw(); } });
setInterval(draw, 1000);
