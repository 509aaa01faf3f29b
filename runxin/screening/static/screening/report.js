/* The professional report's history charts (Chart.js, vendored): one line per instrument, drawn from the
 * page's #report-history-data (json_script), no inline script. The same figures are in the table below each. */
(function () {
  "use strict";
  var colours = {none: "#2f6f7e", moderate: "#c9a227", high: "#d9822b", "": "#8a94a3"};
  function draw() {
    var el = document.getElementById("report-history-data");
    if (!el || !window.Chart) return;
    JSON.parse(el.textContent).forEach(function (chart) {
      var canvas = document.getElementById(chart.id);
      if (!canvas) return;
      new Chart(canvas, {
        type: "line",
        data: {labels: chart.labels, datasets: [{
          label: chart.label, data: chart.values, borderColor: "#2f6f7e", tension: 0,
          pointRadius: 5, pointBackgroundColor: chart.levels.map(function (l) { return colours[l] || colours[""]; })
        }]},
        options: {maintainAspectRatio: false, responsive: true, scales: {y: {beginAtZero: true}},
                  plugins: {legend: {display: false}}}
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
