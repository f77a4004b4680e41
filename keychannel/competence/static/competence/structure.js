/* The channel-structure graph (docs/competence.md): data from the json_script block "structure-data".
   Names are shown in full (they used to be cut at 28 characters); where two labels would fall on each other
   one is hidden until the reader zooms in (mouse wheel) or points at the node. Key clients carry no label (the
   tooltip names them). The legend names every kind of node. */
(function () {
  "use strict";
  var source = document.getElementById("structure-data");
  var el = document.getElementById("structure-graph");
  if (!source || !el || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, {renderer: "canvas"});
  var colors = ["#1f2937", "#2563eb", "#16a34a", "#93c5fd", "#86efac", "#67e8f9", "#e5e7eb", "#f59e0b"];
  var esc = kc.escape;
  chart.setOption({
    color: colors,
    tooltip: {formatter: function (p) {
      if (p.dataType !== "node") { return ""; }
      var d = p.data, extra = d.territory ? "<br>" + esc(d.territory) : "";
      return "<strong>" + esc(d.name) + "</strong><br>" + esc(data.categories[d.category].name) + extra;
    }},
    legend: [{data: data.categories.map(function (c) { return c.name; }), top: 8, type: "scroll"}],
    animationDuration: 600,
    series: [{
      type: "graph", layout: "force", roam: true, draggable: true, top: 60,
      data: data.nodes, links: data.links, categories: data.categories,
      label: {show: true, position: "right", fontSize: 11, formatter: function (p) {
        return p.data.kind === "client" ? "" : p.data.name;
      }},
      labelLayout: {hideOverlap: true},
      emphasis: {focus: "adjacency", label: {show: true, formatter: function (p) { return p.data.name; }}},
      force: {repulsion: 320, edgeLength: [70, 150], gravity: 0.05},
      lineStyle: {color: "source", opacity: 0.6, curveness: 0.05}
    }]
  });
  chart.on("click", function (p) {
    if (p.dataType === "node" && p.data.url && p.data.url.charAt(0) === "/") { window.location.href = p.data.url; }
  });
  chart.on("finished", function () { el.dataset.rendered = "true"; });
  window.addEventListener("resize", function () { chart.resize(); });
  window.keychannelStructure = chart;
})();
