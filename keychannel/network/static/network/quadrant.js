/* The alignment quadrant (docs/network.md): data from the json_script block "quadrant-data", rendered by the
   server with every point already placed (network/views.py quadrant_positions: no two points on each other).
   SVG renderer, so the browser test can measure the labels. */
(function () {
  "use strict";
  var source = document.getElementById("quadrant-data");
  var el = document.getElementById("quadrant-chart");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, {renderer: "svg"});
  var q = data.labels.quadrants;
  var axisLabel = {customValues: data.ticks, formatter: function (v) { return data.axis[Math.round(v)] || ""; },
                   fontSize: 12, color: "#212529"};
  var axisTick = {show: true, customValues: data.ticks, length: 6};
  var area = function (x0, x1, y0, y1, text, position) {
    return [{xAxis: x0, yAxis: y0, name: text, label: {position: position}}, {xAxis: x1, yAxis: y1}];
  };
  var GRID = {left: 90, right: 24, top: 40, bottom: 60};
  // Revenue sizes a point, but never beyond the room its place in the cell leaves (no two points touch).
  var unit = Math.min((el.clientWidth - GRID.left - GRID.right) / 3, (el.clientHeight - GRID.top - GRID.bottom) / 3);
  var sizeOf = function (p) { return Math.max(22, Math.min(p.size, p.room * unit * 0.9)); };
  var series = data.stances.map(function (s) {
    return {
      name: s.label, type: "scatter", itemStyle: {color: s.colour, opacity: 0.9},
      data: data.points.filter(function (p) { return p.stance === s.key; }).map(function (p) {
        return {value: [p.x, p.y], symbolSize: sizeOf(p), symbol: p.sole_channel ? "diamond" : "circle", point: p,
                name: p.code};
      }),
      label: {show: true, formatter: function (d) { return d.data.point.code; }, position: "inside", fontSize: 10,
              color: "#fff"},
      labelLayout: {hideOverlap: false},
    };
  });
  // The four quadrants: "partly" counts as sharing, so the lines sit between "No" and "Partly".
  series.push({
    name: "quadrants", type: "scatter", data: [], silent: true, legendHoverLink: false,
    markLine: {silent: true, symbol: "none", lineStyle: {color: "#adb5bd", type: "dashed"}, label: {show: false},
               data: [{xAxis: 0.5}, {yAxis: 0.5}]},
    markArea: {silent: true, itemStyle: {color: "rgba(13,110,253,0.03)"},
               label: {color: "#6c757d", fontSize: 12},
               data: [area(0.5, 2.5, 0.5, 2.5, q.partner, "insideTop"),
                      area(-0.5, 0.5, 0.5, 2.5, q.goals_not_methods, "insideTop"),
                      area(0.5, 2.5, -0.5, 0.5, q.methods_not_goals, "insideBottom"),
                      area(-0.5, 0.5, -0.5, 0.5, q.neither, "insideBottom")]},
  });
  chart.setOption({
    tooltip: {formatter: function (d) {
      if (!d.data || !d.data.point) { return ""; }
      var p = d.data.point;
      return "<strong>" + kc.escape(p.code) + "</strong> " + kc.escape(p.name) + "<br>" + kc.escape(p.quadrant) + "<br>" +
        kc.escape(p.stance_label) + "<br>" + kc.escape(data.labels.revenue) + ": " +
        kc.escape(p.revenue.toLocaleString(document.documentElement.lang)) +
        (p.sole_channel ? "<br>" + kc.escape(data.labels.sole) : "");
    }},
    legend: {top: 0, data: data.stances.map(function (s) { return s.label; })},
    grid: GRID,
    xAxis: {type: "value", name: data.labels.x, nameLocation: "middle", nameGap: 34,
            nameTextStyle: {fontSize: 13, fontWeight: "bold"}, min: -0.5, max: 2.5,
            axisLabel: axisLabel, axisTick: axisTick, axisLine: {onZero: false}, splitLine: {show: false}},
    yAxis: {type: "value", name: data.labels.y, nameLocation: "middle", nameGap: 60,
            nameTextStyle: {fontSize: 13, fontWeight: "bold"}, min: -0.5, max: 2.5,
            axisLabel: axisLabel, axisTick: axisTick, axisLine: {onZero: false}, splitLine: {show: false}},
    series: series,
  });
  chart.on("click", function (d) { if (d.data && d.data.point) { window.location.href = d.data.point.url; } });
  el.dataset.points = String(data.points.length);
  chart.on("finished", function () { el.dataset.rendered = "true"; });
  window.addEventListener("resize", function () { chart.resize(); });
})();
