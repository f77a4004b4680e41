/* Goal charts: data comes from json_script blocks rendered by the server. */
(function () {
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  var names = read("goal-chart-names") || { actual: "actual", to_date: "target to date", target: "target" };
  var line = read("goal-chart-data");
  if (line && window.echarts) {
    var chart = echarts.init(document.getElementById("goal-chart"));
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [names.actual, names.to_date] },
      xAxis: { type: "category", data: line.labels },
      yAxis: { type: "value" },
      grid: { left: 60, right: 70, top: 40, bottom: 30 },
      series: [
        // The last point is today's actual, the figure of the table below (program/selectors.py goal_series).
        { name: names.actual, type: "line", data: line.actual, areaStyle: { opacity: 0.15 },
          endLabel: { show: true, fontWeight: "bold" },
          markLine: { silent: true, symbol: "none", label: { formatter: names.target + ": {c}" },
                      data: [{ yAxis: line.target }] } },
        { name: names.to_date, type: "line", data: line.target_to_date, lineStyle: { type: "dashed" } }
      ]
    });
    document.getElementById("goal-chart").dataset.last = String(line.actual[line.actual.length - 1]);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var bars = read("goal-bars-data");
  if (bars && bars.length && window.echarts) {
    var b = echarts.init(document.getElementById("goal-bars"));
    b.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: [names.actual, names.to_date, names.target] },
      grid: { left: 20, right: 30, top: 40, bottom: 30, containLabel: true },
      yAxis: { type: "category", inverse: true, data: bars.map(function (r) { return r.name + " · " + r.metric; }),
               axisLabel: { width: 320, overflow: "break", interval: 0 } },
      xAxis: { type: "value" },
      series: [
        { name: names.actual, type: "bar", data: bars.map(function (r) { return r.actual; }) },
        { name: names.to_date, type: "bar", data: bars.map(function (r) { return r.to_date; }) },
        { name: names.target, type: "scatter", data: bars.map(function (r) { return r.target; }) }
      ]
    });
    window.addEventListener("resize", function () { b.resize(); });
  }
})();
