/* The charts (Chart.js, vendored), drawn from data the page carries in <script type="application/json">
 * elements (json_script): no inline script, so the Content-Security-Policy needs no 'unsafe-inline'.
 * Every chart has the same figures as a table beside it.
 *   #grade-sex-data → #grade-sex-chart   students by grade and sex (org unit page)
 *   #chart-data     → #by-unit           students currently warned, by unit and level (warning overview)
 *   #chart-data     → one canvas per chart id (screening summary: a list of charts)
 */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  var stacked = {x: {stacked: true}, y: {stacked: true, beginAtZero: true}};

  function gradeSex() {
    var d = data("grade-sex-data"), canvas = document.getElementById("grade-sex-chart");
    if (!d || !canvas) return;
    var colours = ["#2f6f7e", "#d9822b"];
    d.datasets.forEach(function (set, i) { set.backgroundColor = colours[i]; });
    new Chart(canvas, {type: "bar", data: d, options: {maintainAspectRatio: false, scales: stacked}});
  }

  function byUnit(d, canvas) {
    var colours = {red: "#c0392b", orange: "#d9822b", yellow: "#c9a227", "": "#8a94a3"};
    new Chart(canvas, {
      type: "bar",
      data: {labels: d.labels, datasets: d.datasets.map(function (s) {
        return {label: s.label, data: s.data, backgroundColor: colours[s.colour] || "#8a94a3"};
      })},
      options: {indexAxis: d.labels.length > 12 ? "y" : "x", maintainAspectRatio: false, responsive: true,
                scales: stacked}
    });
  }

  function screeningSummary(charts) {
    var colours = {none: "#7fb89a", moderate: "#e3c45a", high: "#d9822b", critical: "#c0392b"};
    charts.forEach(function (chart) {
      var canvas = document.getElementById(chart.id);
      if (!canvas) return;
      new Chart(canvas, {type: "bar", data: {labels: chart.labels, datasets: chart.series.map(function (s) {
        return {label: s.label, data: s.data, backgroundColor: colours[s.level] || "#9aa5b1"}; })},
        options: {scales: stacked}});
    });
  }

  function draw() {
    if (!window.Chart) return;
    gradeSex();
    var d = data("chart-data");
    if (!d) return;
    var canvas = document.getElementById("by-unit");
    if (canvas && !Array.isArray(d)) byUnit(d, canvas);
    else if (Array.isArray(d)) screeningSummary(d);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
