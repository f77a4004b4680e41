/* The buying-centre org chart: an ECharts tree from the JSON in #org-chart-data (json_script, so user text
   arrives as data, never as markup). Colour = attitude, size = influence, blue ring = known by our people.
   Re-drawn after every HTMX swap of the buying-centre section. */
(function () {
  "use strict";
  var COLOURS = { "-2": "#b91c1c", "-1": "#f97316", "0": "#94a3b8", "1": "#65a30d", "2": "#15803d" };

  var escapeHtml = window.kc.escape;  // static/js/kc.js, loaded from base.html

  function decorate(node) {
    if (node.root) {
      node.symbol = "roundRect";
      node.symbolSize = [18, 18];
      node.itemStyle = { color: "#1f2a37" };
      node.label = { fontWeight: "bold" };
    } else {
      var known = node.known_by && node.known_by.length;
      node.symbolSize = 8 + node.influence * 5;
      node.itemStyle = {
        color: COLOURS[String(node.attitude)] || "#94a3b8",
        borderColor: known ? "#1d4ed8" : "#ffffff",
        borderWidth: known ? 3 : 1,
      };
      if (node.opponent) { node.symbol = "diamond"; }
    }
    (node.children || []).forEach(decorate);
    return node;
  }

  function depth(node) {
    if (!node.children || !node.children.length) { return 1; }
    return 1 + Math.max.apply(null, node.children.map(depth));
  }

  function leaves(node) {
    if (!node.children || !node.children.length) { return 1; }
    return node.children.reduce(function (n, c) { return n + leaves(c); }, 0);
  }

  function labelText(p) {
    var d = p.data;
    if (d.root) { return d.name; }
    var first = d.name + (d.known_by.length ? "  \u25CF" + d.known_by.length : "");
    var second = d.title || d.level;
    var roles = d.roles.length ? "\n{roles|" + d.roles.join(" \u00B7 ") + "}" : "";
    return "{name|" + first + "}\n{title|" + second + "}" + roles;
  }

  function tooltip(p) {
    var d = p.data;
    if (d.root) { return escapeHtml(d.name); }
    return "<strong>" + escapeHtml(d.name) + "</strong><br>" + escapeHtml(d.title) + " \u00B7 " + escapeHtml(d.level) +
      "<br>" + escapeHtml(window.kcOrgChartText.influence) + ": " + d.influence +
      " \u00B7 " + escapeHtml(window.kcOrgChartText.attitude) + ": " + (d.attitude > 0 ? "+" : "") + d.attitude +
      (d.roles.length ? "<br>" + escapeHtml(d.roles.join(", ")) : "") +
      "<br>" + escapeHtml(window.kcOrgChartText.knownBy) + ": " +
      (d.known_by.length ? escapeHtml(d.known_by.join(", ")) : escapeHtml(window.kcOrgChartText.nobody));
  }

  function render() {
    var holder = document.getElementById("org-chart");
    var source = document.getElementById("org-chart-data");
    if (!holder || !source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var tree = decorate(data.tree);
    holder.style.height = Math.max(360, leaves(tree) * 54) + "px";
    // Enough room per level for a three-line label; the card scrolls sideways beyond that.
    holder.style.width = Math.max(holder.parentElement.clientWidth - 8, depth(tree) * 210 + 260) + "px";
    var chart = window.echarts.getInstanceByDom(holder) || window.echarts.init(holder);
    chart.clear();
    chart.setOption({
      tooltip: { trigger: "item", formatter: tooltip },
      series: [{
        type: "tree",
        data: [tree],
        orient: "LR",
        left: 190, right: 230, top: 20, bottom: 20,
        initialTreeDepth: -1,
        expandAndCollapse: true,
        roam: true,
        lineStyle: { color: "#cbd5e1", width: 1.2 },
        label: {
          position: "left", verticalAlign: "middle", align: "right", distance: 8, formatter: labelText,
          backgroundColor: "rgba(255,255,255,0.85)", padding: [1, 3],
          rich: {
            name: { fontSize: 12, lineHeight: 15, fontWeight: "bold", color: "#111827" },
            title: { fontSize: 10, lineHeight: 13, color: "#6b7280" },
            roles: { fontSize: 10, lineHeight: 13, color: "#1d4ed8" },
          },
        },
        leaves: { label: { position: "right", align: "left" } },
        emphasis: { focus: "descendant" },
      }],
    });
  }

  window.kcOrgChartText = window.kcOrgChartText || { influence: "influence", attitude: "attitude", knownBy: "known by", nobody: "nobody" };
  document.addEventListener("DOMContentLoaded", render);
  document.addEventListener("htmx:afterSettle", render);
  window.addEventListener("resize", function () {
    var holder = document.getElementById("org-chart");
    var chart = holder && window.echarts && window.echarts.getInstanceByDom(holder);
    if (chart) { chart.resize(); }
  });
  document.addEventListener("shown.bs.tab", render);
})();
