// The room's wallboard (TV mode): per queue big numbers coloured by the site's thresholds, the
// agents by name grouped by state; fits a 1920×1080 screen without scrolling, stacks on a phone.
"use strict";
let board = null, received = 0;

// A pause reason's name; the automatic pause after unanswered rings has its own message.
function reasonLabel(r) {
  if (TD.catalog["reason." + r] !== undefined) return TD.label("reason", r);
  return r === "no answer" ? TD.t("wallboard.reason_no_answer") : r;
}
const GROUPS = [["ready", ["ready"]], ["talking", ["ringing", "talking"]], ["wrapup", ["wrapup"]], ["paused", ["paused"]]];
const FIGURES = ["waiting", "longest_wait", "answered", "abandoned", "service_level"];
const clockFormat = new Intl.DateTimeFormat("en-GB", {timeZone: TD.tz, hour: "2-digit", minute: "2-digit",
  second: "2-digit", hourCycle: "h23"});

// The longest wait counts up between pushes; its level follows it (the server's level is the floor).
function waitLevel(q, age) {
  const t = board.thresholds;
  if (!q.waiting || !t) return "normal";
  const s = q.longest_wait_s + age;
  return s >= t.wait_red_s ? "red" : s >= t.wait_amber_s ? "amber" : q.levels.longest_wait;
}

function figures(q, age) {
  return {
    waiting: [String(q.waiting), q.levels.waiting],
    longest_wait: [q.waiting ? TD.clock(q.longest_wait_s + age) : "—", waitLevel(q, age)],
    answered: [String(q.answered), "normal"],
    abandoned: [String(q.abandoned), q.levels.abandoned],
    service_level: [TD.pct(q.service_level), q.levels.service_level],
  };
}

function queuePanel(q, age) {
  const f = figures(q, age);
  const counts = TD.t("wallboard.counts", q.agents);
  return TD.el("article", {class: "tv-queue", id: "tvq-" + q.queue},
    TD.el("div", {class: "tv-name"}, TD.el("span", {class: "tv-queue-name"}, TD.label("queue", q.queue)),
      TD.el("span", {class: "tv-counts"}, counts)),
    ...FIGURES.map((key) => {
      const [text, lvl] = f[key];
      const title = key === "service_level" ? TD.t("wallboard.service_level_hint", {s: board.service_level_s}) : null;
      return TD.el("div", {class: `tv-figure level-${lvl}`, id: `tvq-${q.queue}-${key}`, "data-level": lvl,
        "data-figure": key, title},
        TD.el("span", {class: "tv-label"}, TD.t("wallboard." + key)),
        TD.el("span", {class: `tv-number level-${lvl}`, "data-level": lvl}, text),
        lvl === "normal" ? "" : TD.el("span", {class: "tv-mark"}, TD.t("wallboard.level_" + lvl)));
    }));
}

function agentChip(a, age) {
  const extra = a.state === "paused" && a.reason ? reasonLabel(a.reason)
    : a.state === "ringing" ? TD.label("state", "ringing") : "";
  return TD.el("li", {class: "tv-agent", id: "tva-" + a.agent, "data-state": a.state},
    TD.el("span", {class: "tv-agent-name"}, a.name),
    extra ? TD.el("span", {class: "tv-reason"}, extra) : "",
    TD.el("span", {class: "tv-time"}, TD.clock(a.seconds + age)));
}

function agentGroups(age) {
  if (!board.agents.length) return [TD.el("p", {class: "tv-empty"}, TD.t("wallboard.no_agents"))];
  return GROUPS.map(([group, states]) => {
    const members = board.agents.filter((a) => states.includes(a.state));
    return TD.el("div", {class: "tv-group", id: "tvg-" + group, "data-state": group},
      TD.el("h2", {}, TD.label("state", group), " ", TD.el("span", {class: "tv-count"}, String(members.length))),
      members.length ? TD.el("ul", {}, ...members.map((a) => agentChip(a, age)))
        : TD.el("p", {class: "tv-none"}, TD.t("wallboard.nobody")));
  });
}

// Numbers wider than their box shrink; the agents' lists shrink until they fit (wide screens only).
function fit() {
  document.querySelectorAll(".tv-number").forEach((n) => {
    n.style.fontSize = "";
    if (n.scrollWidth > n.clientWidth) n.style.fontSize = `${Math.floor(100 * n.clientWidth / n.scrollWidth)}%`;
  });
  const area = document.getElementById("tv-agents");
  if (window.innerWidth <= 800) { area.style.removeProperty("--agent-scale"); return; }
  const over = () => [...area.querySelectorAll(".tv-group")].some((g) => g.scrollHeight > g.clientHeight + 1);
  let scale = 1;
  area.style.setProperty("--agent-scale", scale);
  while (over() && scale > 0.45) { scale -= 0.05; area.style.setProperty("--agent-scale", scale.toFixed(2)); }
}

// The agencies' cases past their deadline, before the clock (red when any); hidden when unknown.
function drawOverdue() {
  let box = document.getElementById("tv-overdue");
  if (!box) {
    box = TD.el("span", {id: "tv-overdue", title: TD.t("wallboard.overdue_hint")});
    box.style.whiteSpace = "nowrap";  // the CSP allows styles set by script, not a style attribute
    document.getElementById("tv-clock").before(box);
  }
  box.hidden = board.overdue === null || board.overdue === undefined;
  box.className = board.overdue_level === "red" ? "tv-warn level-red" : "level-normal";
  box.dataset.level = board.overdue_level || "normal";
  box.textContent = TD.t("wallboard.overdue", {n: board.overdue});
}

// The citizens' reports from the web waiting for an agent's triage, before the clock (amber when any).
function drawWebWaiting() {
  let box = document.getElementById("tv-web-waiting");
  if (!box) {
    box = TD.el("span", {id: "tv-web-waiting", title: TD.t("wallboard.web_waiting_hint")});
    box.style.whiteSpace = "nowrap";  // the CSP allows styles set by script, not a style attribute
    document.getElementById("tv-clock").before(box);
  }
  box.hidden = board.web_waiting === null || board.web_waiting === undefined;
  box.className = board.web_waiting_level === "amber" ? "figure level-amber" : "level-normal";
  box.dataset.level = board.web_waiting_level || "normal";
  box.textContent = TD.t("wallboard.web_waiting", {n: board.web_waiting});
}

function draw() {
  document.getElementById("tv-clock").textContent = clockFormat.format(new Date());
  if (!board) return;
  const age = (Date.now() - received) / 1000;
  document.getElementById("ami-down").hidden = board.ami !== false;
  drawOverdue();
  drawWebWaiting();
  const queues = document.getElementById("tv-queues");
  queues.style.setProperty("--rows", Math.max(1, board.queues.length));
  queues.replaceChildren(...(board.queues.length ? board.queues.map((q) => queuePanel(q, age))
    : [TD.el("p", {class: "tv-empty"}, TD.t("wallboard.no_queues"))]));
  document.getElementById("tv-agents").replaceChildren(...agentGroups(age));
  fit();
}

TD.on("wallboard", (m) => { board = m; received = Date.now(); draw(); });
window.addEventListener("resize", draw);
draw();
setInterval(draw, 1000);
