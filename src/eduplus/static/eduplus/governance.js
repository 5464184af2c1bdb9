/* Data governance charts (ECharts, vendored): the quality trend and the lineage graph.
   Data comes from json_script blocks; the pages show the same data as tables. */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }
  function chart(id) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    var c = echarts.init(el, null, { renderer: "svg" });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  var q = data("quality-chart");
  if (q) {
    var trend = chart("quality-trend");
    if (trend) {
      trend.setOption({
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(1) + "%"; } },
        legend: { type: "scroll", bottom: 0 },
        grid: { left: 44, right: 16, top: 16, bottom: 56 },
        xAxis: { type: "category", data: q.times },
        yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
        series: q.series.map(function (s, i) {
          return { name: s.name, type: "line", data: s.values, showSymbol: true, symbolSize: 6,
                   lineStyle: { width: i === 0 ? 3 : 1.5 }, connectNulls: false };
        })
      });
    }
  }

  var g = data("lineage-chart-data");
  if (g) {
    var graph = chart("lineage-chart");
    if (graph) {
      graph.setOption({
        tooltip: {
          formatter: function (p) {
            if (p.dataType === "edge") return esc(p.data.source) + " → " + esc(p.data.target) + "<br>" + esc(p.data.jobs);
            return esc(p.data.name) + "<br><span style='font-family:monospace'>" + esc(p.data.code) + "</span>";
          }
        },
        legend: [{ data: g.categories.map(function (c) { return c.name; }), top: 0 }],
        series: [{
          type: "graph",
          layout: "none",
          roam: true,
          top: 40, bottom: 20, left: 110, right: 210,
          categories: g.categories,
          data: g.nodes.map(function (n) {
            return { id: n.id, name: n.name, code: n.code, x: n.x, y: n.y, category: n.category,
                     symbolSize: n.focus ? 22 : 14,
                     itemStyle: n.focus ? { borderColor: "#000", borderWidth: 2 } : undefined };
          }),
          links: g.links.map(function (l) {
            return { source: l.source, target: l.target, jobs: l.label,
                     label: { show: g.links.length <= 40, formatter: l.label, fontSize: 10 } };
          }),
          edgeSymbol: ["none", "arrow"],
          edgeSymbolSize: 7,
          label: { show: true, position: "right", fontSize: 11, width: 200, overflow: "truncate" },
          lineStyle: { color: "source", opacity: 0.55, curveness: 0.08 },
          emphasis: { focus: "adjacency", lineStyle: { width: 3 } }
        }]
      });
      graph.on("click", function (p) {
        if (p.dataType === "node") {
          window.location.search = "?dataset=" + encodeURIComponent(p.data.code);
        }
      });
    }
  }
})();
