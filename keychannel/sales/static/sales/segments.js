/* The three charts of the segments page (docs/sales.md): data from the data-charts and data-labels attributes of
   the fragment the page loads after itself (htmx, views.segment_charts); drawn once that fragment is in. A share
   of potential above 100 % is drawn at 100 % as a triangle, its tooltip gives the real share (the page explains
   that the client's recorded potential is too low). */
(function () {
  "use strict";
  var charts = [];
  function draw() {
    var box = document.getElementById("segment-charts-box");
    if (!box || !box.dataset.charts || box.dataset.drawn === "true" || !window.echarts) { return; }
    var data = JSON.parse(box.dataset.charts);
    var labels = JSON.parse(box.dataset.labels);
    box.dataset.drawn = "true";
    charts.forEach(function (c) { c.dispose(); });
    charts = [];
    var lang = document.documentElement.lang;
    var pareto = echarts.init(document.getElementById("chart-pareto"));
    pareto.setOption({
      tooltip: {trigger: "axis"}, grid: {left: 50, right: 40, bottom: 30, top: 30},
      xAxis: {type: "category", data: data.pareto.map(function (p) { return p.name; }), axisLabel: {show: false}},
      yAxis: [{type: "value", name: labels.volume}, {type: "value", name: labels.cumulative, max: 100}],
      series: [{type: "bar", name: labels.volume, data: data.pareto.map(function (p) { return p.volume; })},
               {type: "line", name: labels.cumulative, yAxisIndex: 1, showSymbol: false,
                data: data.pareto.map(function (p) { return p.cumulative.toFixed(1); }),
                markLine: {silent: true, data: [{yAxis: 80}, {yAxis: 95}]}}]
    });
    charts.push(pareto);
    var matrixEl = document.getElementById("chart-matrix");
    var matrix = echarts.init(matrixEl);
    matrix.setOption({
      tooltip: {formatter: function (p) {
        var m = p.data.item;
        return kc.escape(m.name) + "<br>" + kc.escape(Math.round(m.volume).toLocaleString(lang)) + " RON · " +
          kc.escape(m.share_actual.toLocaleString(lang)) + " %" + (m.over ? "<br>" + kc.escape(labels.over) : "");
      }},
      grid: {left: 60, right: 20, bottom: 40, top: 30},
      xAxis: {type: "log", name: labels.volume, nameLocation: "middle", nameGap: 25},
      yAxis: {type: "value", name: labels.share, min: 0, max: data.share_cap},
      series: [{type: "scatter", data: data.matrix.map(function (m) {
        return {value: [Math.max(m.volume, 1), m.share], item: m, symbol: m.over ? "triangle" : "circle",
                symbolSize: m.over ? 11 : 8, itemStyle: m.over ? {color: "#fd7e14"} : undefined};
      }), markLine: {silent: true, data: [{yAxis: 30}]}}]
    });
    matrixEl.dataset.over = String(data.over_potential);
    charts.push(matrix);
    var nps = echarts.init(document.getElementById("chart-nps"));
    nps.setOption({
      tooltip: {}, grid: {left: 40, right: 20, bottom: 30, top: 30},
      xAxis: {type: "category", data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}, yAxis: {type: "value", name: labels.answers},
      series: [{type: "bar", data: data.nps.histogram.map(function (n, i) {
        return {value: n, itemStyle: {color: i >= 9 ? "#198754" : i >= 7 ? "#adb5bd" : "#dc3545"}};
      })}]
    });
    charts.push(nps);
  }
  draw();
  document.addEventListener("htmx:load", draw);
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
