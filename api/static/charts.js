// Scorecard charts drawn with Chart.js (served by the app from /static/vendor). Without it the
// tables beside the canvases carry the same numbers.
(() => {
  "use strict";
  const data = (id) => JSON.parse(document.getElementById(id)?.textContent || "null");
  if (!window.Chart) {
    document.documentElement.classList.add("no-charts");
    return;
  }
  const passLine = (label, value, n) => ({
    type: "line", label, data: Array(n).fill(value), borderColor: "#c0392b", borderDash: [6, 4],
    pointRadius: 0, borderWidth: 1.5, fill: false,
  });
  const trendCanvas = document.getElementById("trend-chart");
  const trend = data("trend-data");
  if (trendCanvas && trend) {
    const labels = trend.trend.map((p) => p.period);
    new window.Chart(trendCanvas, {
      type: "line",
      data: {
        labels,
        datasets: [
          { label: trendCanvas.dataset.label, data: trend.trend.map((p) => p.total), borderColor: "#1f6feb",
            backgroundColor: "#1f6feb", spanGaps: true, tension: 0.2 },
          passLine(trendCanvas.dataset.passLabel, trend.pass_mark, labels.length),
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } },
    });
  }
  const categoryCanvas = document.getElementById("category-chart");
  const categories = data("category-data");
  if (categoryCanvas && categories) {
    const labels = Object.keys(categories.categories);
    new window.Chart(categoryCanvas, {
      type: "bar",
      data: {
        labels,
        datasets: [
          { label: categoryCanvas.dataset.label, data: labels.map((k) => categories.categories[k]),
            backgroundColor: labels.map((k) => (categories.categories[k] >= categories.pass_mark ? "#2da44e" : "#d4a72c")) },
          passLine(categoryCanvas.dataset.passLabel, categories.pass_mark, labels.length),
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { min: 0, max: 100 } } },
    });
  }
})();
