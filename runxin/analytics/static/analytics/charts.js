/* The analytics pages' charts (Apache ECharts, vendored in vendor/echarts.min.js), drawn from data the page
 * carries in <script type="application/json"> elements (Django's json_script): no inline script, so the
 * Content-Security-Policy needs no 'unsafe-inline'. Tooltips are drawn on the canvas (renderMode "richText"),
 * because ECharts' HTML tooltips carry style attributes the policy refuses.
 *
 * One element per chart, naming its spec:
 *   <div class="chart" data-chart="SPEC-ID" role="img" aria-label="…"></div>
 *   {{ spec|json_script:"SPEC-ID" }}
 * with the chart's figures also in a table on the page (under a <details>), so every chart is readable as a table.
 *
 * The spec (every key but `series` optional):
 *   kind        "line" | "bar" | "stacked" (stacked bars) | "hbar" (horizontal stacked bars) | "pie"
 *   categories  the x-axis labels (the y-axis of "hbar"; the slices of "pie")
 *   series      [{name, data: [number | null], colour, kind: "line" | "bar", stack, area: bool}]; a pie takes
 *               one series whose `colours` lists a colour per slice
 *               null is a figure not shown (suppressed): a gap, never a zero.
 *               colour: a warning-level colour (red, orange, yellow, grey), a band level (none, moderate, high,
 *               critical), a plain name (blue, green, teal, purple, brown) or "#rrggbb".
 *   markers     [{kind, label, from, to, drawn_as: "line" | "area"}]: time nodes over the categories (from/to are
 *               categories; "area" shades from … to, "line" marks `from`), coloured by kind (semester, exam,
 *               holiday, graduation; others grey); not on "hbar" or "pie".
 *   y_name      the value axis' name; percent: true shows values as "n%"
 *   option      merged last into the ECharts option (plain JSON), for what the spec does not cover.
 */
(function () {
  "use strict";

  var COLOURS = {
    red: "#c0392b", orange: "#d9822b", yellow: "#c9a227", grey: "#8a94a3", "": "#8a94a3",
    none: "#7fb89a", moderate: "#e3c45a", high: "#d9822b", critical: "#c0392b", invalid: "#9aa5b1",
    blue: "#2f6fb0", green: "#3a8f5c", teal: "#2f6f7e", purple: "#7b4fa0", brown: "#9a5510"
  };
  var MARKERS = {
    semester: {line: "#2f6fb0"}, graduation: {line: "#7b4fa0"},
    exam: {area: "rgba(217, 130, 43, 0.16)"}, holiday: {area: "rgba(138, 148, 163, 0.18)"}
  };
  var FALLBACK = ["#2f6f7e", "#d9822b", "#7b4fa0", "#3a8f5c", "#c0392b", "#2f6fb0", "#9a5510", "#8a94a3"];

  function colour(name, i) {
    if (typeof name === "string" && name.charAt(0) === "#") return name;
    return COLOURS.hasOwnProperty(name) ? COLOURS[name] : FALLBACK[i % FALLBACK.length];
  }

  function merge(target, source) {
    Object.keys(source || {}).forEach(function (key) {
      var value = source[key];
      if (value && typeof value === "object" && !Array.isArray(value) && target[key] &&
          typeof target[key] === "object" && !Array.isArray(target[key])) merge(target[key], value);
      else target[key] = value;
    });
    return target;
  }

  // The time nodes sit on their own invisible series over a hidden value axis that runs from the first category's
  // left edge (-0.5) to the last one's right edge (n - 0.5): a category axis puts a mark only at a category's centre,
  // so a one-month season would have no width there.
  function markerSeries(spec) {
    var lines = [], areas = [], index = {};
    (spec.categories || []).forEach(function (name, i) { index[name] = i; });
    (spec.markers || []).forEach(function (m) {
      var style = MARKERS[m.kind] || {line: "#8a94a3", area: "rgba(138, 148, 163, 0.18)"};
      if (!(m.from in index) || !(m.to in index)) return;
      if ((m.drawn_as || (style.area ? "area" : "line")) === "area") {
        areas.push([{name: m.label, xAxis: index[m.from] - 0.5,
                     itemStyle: {color: style.area || "rgba(138, 148, 163, 0.18)"}},
                    {xAxis: index[m.to] + 0.5}]);
      } else {
        lines.push({name: m.label, xAxis: index[m.from],
                    lineStyle: {color: style.line || "#8a94a3", type: m.kind === "graduation" ? "dashed" : "solid",
                                width: 1.5}});
      }
    });
    if (!lines.length && !areas.length) return null;
    return {
      type: "line", xAxisIndex: 1, data: [], silent: true, tooltip: {show: false},
      markLine: {symbol: "none", data: lines, label: {show: false},
                 emphasis: {label: {show: true, formatter: "{b}", position: "insideEndTop"}}},
      markArea: {data: areas, label: {show: false},
                 emphasis: {label: {show: true, position: "insideTop", color: "#4a5563"}}}
    };
  }

  function format(spec) {
    return function (value) { return value === null || value === undefined ? "–" : value + (spec.percent ? "%" : ""); };
  }

  function optionOf(spec) {
    var kind = spec.kind || "line";
    var series = (spec.series || []).map(function (s, i) {
      var type = s.kind || (kind === "line" ? "line" : "bar");
      var out = {name: s.name, type: type, data: s.data, itemStyle: {color: colour(s.colour, i)},
                 emphasis: {focus: "series"}};
      if (type === "line") {
        out.symbolSize = 5;
        out.connectNulls = false;
        out.lineStyle = {color: colour(s.colour, i), width: 2};
        if (s.area) out.areaStyle = {opacity: 0.15};
      }
      if (s.stack || kind === "stacked" || kind === "hbar") out.stack = s.stack || "total";
      return out;
    });
    var textColour = "#2b3440";
    var option = {
      animation: false,
      textStyle: {fontFamily: "inherit"},
      tooltip: {trigger: kind === "pie" ? "item" : "axis", renderMode: "richText", confine: true,
                valueFormatter: format(spec)},
      legend: {type: "scroll", top: 0, textStyle: {color: textColour}},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true}
    };
    if (kind === "pie") {
      option.series = [{type: "pie", radius: ["35%", "65%"], top: 24,
                        data: spec.categories.map(function (name, i) {
                          var s = spec.series[0] || {data: []};
                          return {name: name, value: s.data[i],
                                  itemStyle: {color: colour((s.colours || [])[i], i)}};
                        })}];
    } else {
      var categories = spec.categories || [];
      var categoryAxis = {type: "category", data: categories, boundaryGap: true, axisLabel: {hideOverlap: true},
                          axisTick: {alignWithLabel: true}};
      var valueAxis = {type: "value", name: spec.y_name || "", minInterval: spec.percent ? 0 : 1,
                       axisLabel: {formatter: spec.percent ? "{value}%" : "{value}"},
                       axisLine: {show: false, onZero: false}};
      if (kind === "hbar") {
        option.yAxis = merge(categoryAxis, {inverse: true});
        option.xAxis = valueAxis;
      } else {
        option.yAxis = valueAxis;
        var marks = markerSeries(spec);
        option.xAxis = marks ? [categoryAxis, {type: "value", show: false, min: -0.5, max: categories.length - 0.5,
                                                   axisPointer: {show: false}}]
                             : categoryAxis;
        if (marks) series.push(marks);
      }
      option.legend.data = (spec.series || []).map(function (s) { return s.name; });
      option.series = series;
    }
    return merge(option, spec.option || {});
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || element.getAttribute("data-drawn")) return null;
    var spec = JSON.parse(source.textContent);
    var lang = (document.documentElement.lang || "").toLowerCase();
    var chart = window.echarts.init(element, null, {renderer: "canvas", locale: lang.indexOf("zh") === 0 ? "ZH" : "EN"});
    chart.setOption(optionOf(spec));
    element.setAttribute("data-drawn", "1");
    return chart;
  }

  function drawAll() {
    if (!window.echarts) return;
    var charts = [];
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (element) {
      var chart = draw(element);
      if (chart) charts.push(chart);
    });
    var resize = function () { charts.forEach(function (chart) { chart.resize(); }); };
    if (window.ResizeObserver) {
      charts.forEach(function (chart) { new ResizeObserver(function () { chart.resize(); }).observe(chart.getDom()); });
    } else {
      window.addEventListener("resize", resize);
    }
  }

  window.runxinCharts = {optionOf: optionOf, draw: draw};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
