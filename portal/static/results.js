// The monthly trend on the public results page: bars of cases answered on time, late and open
// past the deadline, and the on-time rate as a line (its own axis, 0-100 %). The figures come
// from the page itself (a JSON block): nothing is fetched.
(function () {
  "use strict";
  const source = document.getElementById("chart-data");
  const canvas = document.getElementById("trend");
  if (!source || !canvas || !window.Chart) { return; }
  const d = JSON.parse(source.textContent);
  const month = (m) => { const [y, mm] = m.split("-"); return `${mm}/${y}`; };  // as the site writes dates
  new window.Chart(canvas, {
    data: {
      labels: d.months.map(month),
      datasets: [
        { type: "bar", label: d.labels.on_time, data: d.on_time, backgroundColor: "#1b7f3b", stack: "n" },
        { type: "bar", label: d.labels.late, data: d.late, backgroundColor: "#e07b00", stack: "n" },
        { type: "bar", label: d.labels.open_overdue, data: d.open_overdue, backgroundColor: "#b3261e", stack: "n" },
        { type: "line", label: d.labels.rate, data: d.rate, borderColor: "#0b57d0", backgroundColor: "#0b57d0",
          yAxisID: "rate", spanGaps: true, tension: 0.2 },
      ],
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false },
                ticks: { callback: (v) => `${v} %` } },
      },
    },
  });
  canvas.dataset.drawn = "1";
})();
