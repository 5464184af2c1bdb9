/* Monitoring charts (ECharts, vendored). Data comes from json_script blocks. */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function chart(id) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") return null;
    var c = echarts.init(el, null, { renderer: "svg" });
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  var d = data("monitoring-chart");
  if (d) {
    var trend = chart("trend-chart");
    if (trend) {
      var selected = {};
      d.series.forEach(function (s) { selected[s.name] = s.code === d.focus; });
      trend.setOption({
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v.toFixed(1) + "%"; } },
        legend: { type: "scroll", bottom: 0, selected: selected },
        grid: { left: 40, right: 48, top: 16, bottom: 56 },
        xAxis: { type: "category", data: d.years },
        yAxis: { type: "value", min: 0, max: 100 },
        series: d.series.map(function (s) {
          var line = { name: s.name, type: "line", data: s.values, connectNulls: false, showSymbol: true, symbolSize: 7 };
          if (s.target != null) line.markLine = { symbol: "none", silent: true, lineStyle: { type: "dashed" }, label: { formatter: "目标 " + s.target, position: "insideEndTop" }, data: [{ yAxis: s.target }] };
          return line;
        })
      });
    }
    var rank = chart("rank-chart");
    if (rank) {
      var r = d.ranking;
      var target = r.target;
      rank.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 90, right: 24, top: 8, bottom: 24 },
        xAxis: { type: "value", min: 0, max: 100 },
        yAxis: { type: "category", data: r.names.slice().reverse(), axisLabel: { width: 80, overflow: "truncate", interval: 0, fontSize: 11 } },
        series: [{
          type: "bar", name: r.indicator,
          data: r.values.slice().reverse().map(function (v) {
            return { value: v, itemStyle: { color: v == null ? "#bbb" : (target != null && v < target ? "#c62828" : "#1a7f37") } };
          }),
          markLine: target == null ? undefined : { symbol: "none", silent: true, lineStyle: { type: "dashed" }, data: [{ xAxis: target }] }
        }]
      });
    }
  }
  var i = data("indicator-chart-data");
  if (i) {
    var c = chart("indicator-chart");
    if (c) {
      c.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 40, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "category", data: i.years },
        yAxis: { type: "value", min: 0, max: 100 },
        series: [{ name: i.name, type: "line", data: i.values, showSymbol: true, symbolSize: 8,
          label: { show: true, formatter: function (p) { return p.value == null ? "" : p.value.toFixed(1); } },
          markLine: i.target == null ? undefined : { symbol: "none", lineStyle: { type: "dashed" },
            label: { position: "insideEndTop", formatter: "目标 " + i.target }, data: [{ yAxis: i.target }] } }]
      });
    }
  }
})();
