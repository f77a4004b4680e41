(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("forecast-data").textContent);
  var chart = echarts.init(document.getElementById("forecast-chart"));
  chart.setOption({
    animation: false,
    tooltip: {trigger: "axis"},
    legend: {data: [data.series.pipeline, data.series.weighted, data.series.won]},
    grid: {left: 80, right: 20, bottom: 60},
    xAxis: {type: "category", data: data.labels, axisLabel: {rotate: data.labels.length > 8 ? 30 : 0}},
    yAxis: {type: "value", name: "RON"},
    series: [
      {name: data.series.pipeline, type: "bar", data: data.pipeline, itemStyle: {color: "#cfd8e3"}},
      {name: data.series.weighted, type: "bar", data: data.weighted, itemStyle: {color: "#0d6efd"}},
      {name: data.series.won, type: "bar", data: data.won, itemStyle: {color: "#198754"}}
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
