// Leaders' reports: per field and per queue tables, charts (Chart.js), CSV for the same range.
"use strict";
const COLS = [["offered", "Gọi vào / Offered"], ["answered", "Trả lời / Answered"], ["abandoned", "Bỏ / Abandoned"],
  ["service_level", "SL"], ["asa_s", "ASA s"], ["aht_s", "AHT s"], ["longest_wait_s", "Chờ lâu nhất / Longest s"]];
const charts = {};

function table(id, rows, first) {
  const head = TD.el("tr", {}, TD.el("th", {}, first), ...COLS.map(([, l]) => TD.el("th", {}, l)));
  const body = Object.entries(rows).map(([name, r]) => TD.el("tr", {}, TD.el("td", {}, name),
    ...COLS.map(([k]) => TD.el("td", {}, k === "service_level" ? TD.pct(r[k]) : String(r[k] ?? "—")))));
  document.getElementById(id).replaceChildren(TD.el("thead", {}, head), TD.el("tbody", {}, ...body));
}

function chart(id, config) {
  if (charts[id]) charts[id].destroy();
  if (window.Chart) charts[id] = new Chart(document.getElementById(id), {...config, options: {animation: false, responsive: true, maintainAspectRatio: false}});
}

async function show(ev) {
  if (ev) ev.preventDefault();
  const q = new URLSearchParams({from: document.getElementById("r-from").value, to: document.getElementById("r-to").value});
  const r = await TD.api("GET", "/api/reports?" + q);
  document.getElementById("csv").href = "/api/reports.csv?" + q;
  table("fields", r.fields, "Lĩnh vực / Field");
  table("queues", r.queues, "Hàng đợi / Queue");
  const groups = [["fields", "Lĩnh vực / Field"], ["kinds", "Loại / Kind"], ["statuses", "Trạng thái / Status"]];
  TD.rows(document.querySelector("#tickets tbody"), groups.flatMap(([key, label]) =>
    Object.entries(r.tickets[key]).map(([name, n]) => [`${label}: ${name}`, n])), ([k, v]) => [k, String(v)]);
  const extras = [...Object.entries(r.emergency_transfers).map(([k, v]) => [`Chuyển khẩn cấp / Emergency transfer ${k}`, v]),
    ["Cuộc gọi ngoài giờ / After-hours calls", r.after_hours_calls], ["Lời nhắn ngoài giờ / After-hours messages", r.after_hours_messages],
    ...Object.entries(r.callback_outcomes).map(([k, v]) => [`Gọi lại / Callback ${k}`, v])];
  TD.rows(document.querySelector("#extras tbody"), extras, ([k, v]) => [k, String(v)]);
  chart("chart-days", {type: "bar", data: {labels: r.days.map((d) => d.date), datasets: [
    {label: "Answered", data: r.days.map((d) => d.answered), backgroundColor: "#2e7d32"},
    {label: "Abandoned", data: r.days.map((d) => d.abandoned), backgroundColor: "#c62828"},
    {label: "Offered", data: r.days.map((d) => d.offered), type: "line", borderColor: "#1565c0"}]}});
  chart("chart-fields", {type: "bar", data: {labels: Object.keys(r.fields), datasets: [
    {label: "Offered per field", data: Object.values(r.fields).map((f) => f.offered), backgroundColor: "#1565c0"}]}});
}

(() => {
  const today = new Date(), week = new Date(Date.now() - 6 * 864e5);
  document.getElementById("r-to").value = today.toISOString().slice(0, 10);
  document.getElementById("r-from").value = week.toISOString().slice(0, 10);
  document.getElementById("range").onsubmit = (ev) => TD.run(() => show(ev));
  TD.run(show);
})();
