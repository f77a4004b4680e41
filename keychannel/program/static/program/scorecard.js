/* Scorecard charts: sparklines in the network table, the trend on one card. Data from json_script blocks;
   tooltips are built as HTML, so every value passes through kc.escape. */
(function () {
  "use strict";
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  if (!window.echarts) { return; }
  var charts = [];
  function tooltip(params) {
    var p = Array.isArray(params) ? params[0] : params;
    return window.kc.escape(p.name) + "<br>" + window.kc.escape(Number(p.value).toLocaleString());
  }
  var trends = read("scorecard-trends");
  var labels = read("scorecard-trend-labels") || [];
  if (trends) {
    document.querySelectorAll("[data-spark]").forEach(function (el) {
      var data = trends[el.getAttribute("data-spark")];
      if (!data) { return; }
      var chart = echarts.init(el);
      chart.setOption({
        animation: false,
        grid: { left: 2, right: 2, top: 2, bottom: 2 },
        xAxis: { type: "category", show: false, data: labels },
        yAxis: { type: "value", show: false },
        tooltip: { trigger: "axis", formatter: tooltip, confine: true },
        series: [{ type: "line", data: data, symbol: "none", smooth: true, lineStyle: { width: 1.5 }, areaStyle: { opacity: 0.15 } }]
      });
      charts.push(chart);
    });
  }
  var trend = read("scorecard-trend-data");
  var box = document.getElementById("scorecard-trend");
  if (trend && box) {
    var big = echarts.init(box);
    big.setOption({
      grid: { left: 70, right: 16, top: 16, bottom: 30 },
      tooltip: { trigger: "axis", formatter: tooltip },
      xAxis: { type: "category", data: trend.labels },
      yAxis: { type: "value" },
      series: [{ type: "bar", data: trend.amounts }]
    });
    charts.push(big);
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
