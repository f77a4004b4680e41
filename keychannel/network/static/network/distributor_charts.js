/* The charts of a distributor's page (docs/network.md): the relationship map (people tab) and the readiness
   trend (readiness tab). Data from the json_script blocks "relationship-map-data" and "readiness-trend-data".
   Charts in hidden tabs have no size: each is drawn when its tab is shown (or at once when opened by #anchor). */
(function () {
  "use strict";
  var charts = [];
  var SIDE_COLOURS = ["#0d6efd", "#6f42c1"];
  var NAME_ROOM = 190;  // px beside each column for the names: full names, never cut at the chart's edge

  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }

  function drawMap(mapEl) {
    var data = read("relationship-map-data");
    if (!data) { return; }
    var rows = Math.max.apply(null, data.nodes.map(function (n) { return n.y; }).concat([0])) / 40 + 1;
    mapEl.style.height = Math.max(320, 90 + rows * 40) + "px";
    var chart = echarts.init(mapEl, null, {renderer: "svg"});
    chart.setOption({
      tooltip: {formatter: function (p) {
        // Names are typed by distributor users: escaped, or they are markup in a manufacturer's browser.
        if (p.dataType === "edge") {
          return kc.escape(p.data.pairing) + "<br>" + "★".repeat(p.data.strength) + (p.data.last ? "<br>" + kc.escape(p.data.last) : "");
        }
        return kc.escape(p.data.name) + "<br>" + kc.escape(p.data.tier_label) + (p.data.level ? " · " + kc.escape(p.data.level) : "");
      }},
      legend: [{top: 0, data: data.categories.map(function (c) { return c.name; })}],
      color: SIDE_COLOURS,
      series: [{
        type: "graph", layout: "none", roam: false, top: 50, bottom: 20, left: NAME_ROOM, right: NAME_ROOM,
        categories: data.categories.map(function (c, i) { return {name: c.name, itemStyle: {color: SIDE_COLOURS[i]}}; }),
        label: {show: true, fontSize: 12, lineHeight: 16, color: "#212529", width: NAME_ROOM - 16, overflow: "break"},
        data: data.nodes.map(function (n) {
          return Object.assign({}, n, {symbolSize: 18, label: {position: n.label_position},
                                       itemStyle: {opacity: n.active === false ? 0.4 : 1}});
        }),
        links: data.links.map(function (l) {
          return Object.assign({}, l, {lineStyle: {width: l.strength * 1.5, type: l.stale ? "dashed" : "solid",
                                                   opacity: l.active ? 0.8 : 0.3, color: l.stale ? "#dc3545" : "#198754"}});
        }),
      }],
    });
    chart.on("finished", function () { mapEl.dataset.rendered = "true"; });
    mapEl.dataset.drawn = "1";
    mapEl.dataset.links = String(data.links.length);
    charts.push(chart);
  }

  function drawTrend(trendEl) {
    var points = read("readiness-trend-data");
    if (!points) { return; }
    var chart = echarts.init(trendEl);
    chart.setOption({
      tooltip: {trigger: "axis"}, grid: {left: 40, right: 20, top: 20, bottom: 30},
      xAxis: {type: "category", data: points.map(function (p) { return p.date; })},
      yAxis: {type: "value", min: 0, max: 100},
      series: [{type: "line", data: points.map(function (p) { return p.score; }), symbolSize: 8, areaStyle: {opacity: 0.1}}],
    });
    chart.on("click", function (p) { window.location.href = points[p.dataIndex].url; });
    trendEl.dataset.drawn = "1";
    trendEl.dataset.points = String(points.length);
    charts.push(chart);
  }

  function draw() {
    if (!window.echarts) { return; }
    var mapEl = document.getElementById("relationship-map");
    if (mapEl && !mapEl.dataset.drawn && mapEl.offsetWidth) { drawMap(mapEl); }
    var trendEl = document.getElementById("readiness-trend");
    if (trendEl && !trendEl.dataset.drawn && trendEl.offsetWidth) { drawTrend(trendEl); }
  }

  document.querySelectorAll('button[data-bs-toggle="tab"]').forEach(function (btn) {
    btn.addEventListener("shown.bs.tab", function () { draw(); charts.forEach(function (c) { c.resize(); }); });
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
