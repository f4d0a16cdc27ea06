// Leaders' reports: quick ranges (computed by the server in the site's time zone) or from/to,
// tables for every request, per field, queue and agent, charts (Chart.js), CSV per table and a zip;
// the handling agencies' figures per agency and per field, with their charts and CSV.
"use strict";
const charts = {};
let range = {};  // what is shown: a quick range ({range}) or {from, to}; none: the last 7 days

function dmy(iso) { const [y, m, d] = iso.split("-"); return `${d}/${m}/${y}`; }
// dd/mm/yyyy as typed (the site's way, whatever the browser's language) -> yyyy-mm-dd
function iso(text) {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text);
  if (!m) throw new Error(TD.t("reports.bad_date", {text}));
  return `${m[3]}-${m[2].padStart(2, "0")}-${m[1].padStart(2, "0")}`;
}
const none = (code) => code === "-" ? TD.t("reports.none") : null;
const label = (group, code) => none(code) || TD.label(group, code);
const secs = (s) => s === null || s === undefined ? "—" : TD.clock(s);

// A heading; an abbreviation is explained on hover (title) and to screen readers (<abbr title>).
function th(text, title) {
  return title ? TD.el("th", {title}, TD.el("abbr", {title}, text)) : TD.el("th", {}, text);
}
function head(id, cells) {
  document.querySelector(`#${id} thead`).replaceChildren(TD.el("tr", {}, ...cells));
  return document.querySelector(`#${id} tbody`);
}

function figures(id, rows, group, slSeconds) {
  const body = head(id, [th(TD.t(`reports.${group}_name`)), th(TD.t("reports.offered")), th(TD.t("reports.answered")),
    th(TD.t("reports.abandoned")), th(TD.t("reports.sl"), TD.t("reports.sl_title", {s: slSeconds})),
    th(TD.t("reports.asa"), TD.t("reports.asa_title")), th(TD.t("reports.aht"), TD.t("reports.aht_title")),
    th(TD.t("reports.longest"))]);
  TD.rows(body, Object.entries(rows), ([code, r]) => [label(group, code), String(r.offered), String(r.answered),
    String(r.abandoned), TD.pct(r.service_level), secs(r.asa_s), secs(r.aht_s), secs(r.longest_wait_s)],
  TD.t("reports.empty_figures"));
}

const GROUPS = [["fields", "field"], ["areas", "area"], ["kinds", "kind"], ["statuses", "status"], ["channels", "reports.channel"]];

function tickets(r) {
  const body = head("tickets", [th(TD.t("reports.by")), th(TD.t("reports.name")), th(TD.t("reports.count"))]);
  const items = GROUPS.flatMap(([key, group]) => Object.entries(r.tickets[key]).map(([code, n]) =>
    ({key, code, cells: [TD.t("reports.by_" + key), label(group, code), String(n)]})));
  TD.rows(body, items, (it) => it.cells, TD.t("reports.empty_tickets"));
  body.querySelectorAll("tr").forEach((tr, i) => { if (items[i]) { tr.dataset.group = items[i].key; tr.dataset.code = items[i].code; } });
}

function agents(r) {
  const body = head("agents", [th(TD.t("reports.agent")), th(TD.t("reports.calls_answered")), th(TD.t("reports.handle_total")),
    th(TD.t("reports.aht"), TD.t("reports.aht_title")), th(TD.t("reports.paused")), th(TD.t("reports.csat"), TD.t("reports.csat_title"))]);
  TD.rows(body, r.agents, (a) => [a.name ? `${a.name} (${a.extension})` : a.extension, String(a.calls), secs(a.talk_s),
    secs(a.aht_s), Object.entries(a.pauses_s).map(([k, s]) => `${label("reason", k)} ${TD.clock(s)}`).join(" · ") || "—",
    a.csat === null ? "—" : String(a.csat)], TD.t("reports.empty_agents"));
}

function other(r) {
  const body = head("other", [th(TD.t("reports.section")), th(TD.t("reports.name")), th(TD.t("reports.count"))]);
  const service = (n) => r.services[n] ? `${TD.label("service", r.services[n])} (${n})` : n;
  const callback = (k) => TD.catalog["cb_outcome." + k] ? TD.label("cb_outcome", k) : TD.label("cb_state", k);
  TD.rows(body, [
    ...Object.entries(r.emergency_transfers).map(([n, c]) => [TD.t("reports.emergency_transfers"), service(n), c]),
    [TD.t("reports.after_hours"), TD.t("reports.after_hours_calls"), r.after_hours_calls],
    [TD.t("reports.after_hours"), TD.t("reports.after_hours_messages"), r.after_hours_messages],
    ...Object.entries(r.callback_outcomes).map(([k, c]) => [TD.t("reports.callbacks"), callback(k), c]),
  ], ([a, b, c]) => [a, b, String(c)]);
}

function days(r) {
  const body = head("days", [th(TD.t("reports.day")), th(TD.t("reports.offered")), th(TD.t("reports.answered")), th(TD.t("reports.abandoned"))]);
  TD.rows(body, r.days, (d) => [dmy(d.date), String(d.offered), String(d.answered), String(d.abandoned)]);
}

function chart(id, config, yTitle) {
  if (charts[id]) charts[id].destroy();
  if (!window.Chart) return;
  charts[id] = new Chart(document.getElementById(id), {...config, options: {animation: false, responsive: true,
    maintainAspectRatio: false, scales: {y: {beginAtZero: true, ticks: {precision: 0}, title: {display: true, text: yTitle}}}}});
}

function drawCharts(r) {
  document.getElementById("cap-days").textContent = TD.t("reports.chart_days");
  document.getElementById("cap-fields").textContent = TD.t("reports.chart_fields");
  chart("chart-days", {type: "bar", data: {labels: r.days.map((d) => dmy(d.date)), datasets: [
    {label: TD.t("reports.answered"), data: r.days.map((d) => d.answered), backgroundColor: "#2e7d32"},
    {label: TD.t("reports.abandoned"), data: r.days.map((d) => d.abandoned), backgroundColor: "#c62828"},
    {label: TD.t("reports.offered"), data: r.days.map((d) => d.offered), type: "line", borderColor: "#1565c0"}]}}, TD.t("reports.calls"));
  const fields = Object.entries(r.tickets.fields);
  chart("chart-fields", {type: "bar", data: {labels: fields.map(([code]) => label("field", code)), datasets: [
    {label: TD.t("reports.tickets"), data: fields.map(([, n]) => n), backgroundColor: "#1565c0"}]}}, TD.t("reports.tickets"));
  const empty = !fields.length && !r.days.some((d) => d.offered);
  const note = document.getElementById("chart-empty");
  note.textContent = TD.t("reports.empty_chart");
  note.hidden = !empty;
}

// ---- the handling agencies (the figures and their rule: agencies/statistics.py) ----
const AG_COLUMNS = ["received", "on_time", "late", "open_overdue", "open_in_time", "declined"];
const AG_TITLES = {open_overdue: "reports.ag_open_overdue_title", declined: "reports.ag_declined_title"};
const hours = (h) => h === null || h === undefined ? "—" : TD.t("reports.ag_hours", {n: new Intl.NumberFormat(
  document.documentElement.lang === "en" ? "en-GB" : "vi-VN", {maximumFractionDigits: 1}).format(h)});
const titled = (text, title) => TD.el("th", {title: title || null}, text);
const fieldName = (r) => none(r.key) || (TD.catalog["field." + r.key] !== undefined ? TD.label("field", r.key) : r.name);

function agencyTable(id, rows, totals, heading, name) {
  const body = head(id, [titled(heading), ...AG_COLUMNS.map((c) => titled(TD.t("reports.ag_" + c), AG_TITLES[c] && TD.t(AG_TITLES[c]))),
    titled(TD.t("reports.ag_on_time_rate"), TD.t("reports.ag_on_time_rate_title")),
    titled(TD.t("reports.ag_median_hours"), TD.t("reports.ag_median_title"))]);
  const items = rows.length ? [...rows, {...totals, total: true}] : [];
  TD.rows(body, items, (r) => [r.total ? TD.t("reports.ag_total") : name(r), ...AG_COLUMNS.map((c) => String(r[c])),
    TD.pct(r.on_time_rate), hours(r.median_hours)], TD.t("reports.empty_agencies"));
  body.querySelectorAll("tr").forEach((tr, i) => {
    if (items[i] && items[i].total) tr.classList.add("total"); else if (items[i]) tr.dataset.key = items[i].key;
  });
}

// A long agency name on a few lines (Chart.js draws an array as lines), so a phone keeps room for the bars.
function lines(text, width) {
  const out = [];
  for (const word of text.split(" ")) {
    if (out.length && (out[out.length - 1] + " " + word).length <= width) out[out.length - 1] += " " + word; else out.push(word);
  }
  return out;
}

function bars(id, labels, datasets, title, stacked) {
  if (charts[id]) charts[id].destroy();
  if (!window.Chart) return;
  charts[id] = new Chart(document.getElementById(id), {type: "bar", data: {labels, datasets}, options: {
    indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
    scales: {x: {stacked, beginAtZero: true, ticks: stacked ? {precision: 0} : {}, title: {display: true, text: title}},
      y: {stacked, ticks: {autoSkip: false}}}}});  // every agency named, however many
}

function agencies(ag) {
  agencyTable("ag-agencies", ag.agencies, ag.totals, TD.t("reports.agency_name"), (r) => r.name);
  agencyTable("ag-fields", ag.fields, ag.totals, TD.t("reports.field_name"), fieldName);
  const rows = ag.agencies, narrow = window.innerWidth < 640;
  const note = document.getElementById("agencies-empty");
  note.textContent = TD.t("reports.empty_agencies");
  note.hidden = rows.length > 0;
  document.getElementById("cap-agencies").textContent = TD.t("reports.chart_agencies");
  document.getElementById("cap-median").textContent = TD.t("reports.chart_median");
  for (const box of ["box-agencies", "box-median"]) {  // a bar per agency: the box grows with them (CSP: set by script)
    document.getElementById(box).style.height = `${Math.max(narrow ? 280 : 220, 120 + rows.length * (narrow ? 56 : 40))}px`;
  }
  const labels = rows.map((a) => lines(a.name, narrow ? 18 : 30));
  const part = (key, color) => ({label: TD.t("reports.ag_" + key), data: rows.map((a) => a[key]), backgroundColor: color});
  bars("chart-agencies", labels, [part("on_time", "#2e7d32"), part("late", "#ef6c00"), part("open_overdue", "#c62828"),
    part("open_in_time", "#90a4ae")], TD.t("reports.cases"), true);
  bars("chart-median", labels, [{label: TD.t("reports.ag_median_hours"), data: rows.map((a) => a.median_hours),
    backgroundColor: "#1565c0"}], TD.t("reports.hours"), false);
}

async function show() {
  const q = new URLSearchParams(range);
  const [r, ag] = await Promise.all([TD.api("GET", "/api/reports?" + q), TD.api("GET", "/api/reports/agencies?" + q)]);
  document.getElementById("r-from").value = dmy(r.from);
  document.getElementById("r-to").value = dmy(r.to);
  document.querySelectorAll(".quick button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === range.range)));
  document.getElementById("shown").textContent = TD.t("reports.shown", {from: dmy(r.from), to: dmy(r.to)});
  const fixed = new URLSearchParams({from: r.from, to: r.to});  // the files hold exactly what is shown
  document.getElementById("zip").href = "/api/reports.zip?" + fixed;
  document.querySelectorAll("a.csv").forEach((a) => { a.href = `/api/reports.csv?table=${a.dataset.table}&${fixed}`; });
  document.querySelectorAll("a.csv-agencies").forEach((a) => {
    a.href = `/api/reports/agencies.csv?table=${a.dataset.table}&${fixed}`;
  });
  tickets(r);
  figures("fields", r.fields, "field", r.service_level_s);
  figures("queues", r.queues, "queue", r.service_level_s);
  agents(r);
  other(r);
  days(r);
  drawCharts(r);
  agencies(ag);
  document.body.dataset.reportShown = `${r.from}/${r.to}`;  // tests wait on this
}

document.querySelectorAll(".quick button").forEach((b) => { b.onclick = () => { range = {range: b.dataset.range}; TD.run(show); }; });
document.getElementById("range").onsubmit = (ev) => {
  ev.preventDefault();
  TD.run(() => {
    range = {from: iso(document.getElementById("r-from").value), to: iso(document.getElementById("r-to").value)};
    return show();
  });
};
TD.run(show);
