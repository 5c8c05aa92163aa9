/* The SLA page's monthly chart (ECharts): faults and on-time counts as bars, the percent within
   SLA as a line. Figures from the chart box's data-chart attribute (JSON, the same as the tables,
   which stay the accessible version). Without ECharts or script the tables are all there is. */
(function () {
  "use strict";
  var box = document.getElementById("sla-chart");
  if (!box || !box.getAttribute("data-chart") || !window.echarts) { return; }
  var data = JSON.parse(box.getAttribute("data-chart"));
  var L = data.labels, S = data.series;
  box.hidden = false;
  var chart = window.echarts.init(box, null, { renderer: "svg" });
  var bar = function (key, color) {
    return { name: L[key], type: "bar", data: S[key], itemStyle: { color: color }, barMaxWidth: 18 };
  };
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 48, top: 64, bottom: 28, containLabel: true },
    xAxis: { type: "category", data: data.months },
    yAxis: [
      { type: "value", name: L.count, minInterval: 1 },
      { type: "value", name: L.percent, min: 0, max: 100, splitLine: { show: false } }
    ],
    series: [
      bar("faults", "#5b6b7d"),
      bar("responded_in_time", "#1d5fa8"),
      bar("restored_in_time", "#1e7a4a"),
      bar("escalated", "#b45309"),
      { name: L.percent_within_sla, type: "line", yAxisIndex: 1, data: S.percent_within_sla,
        connectNulls: false, symbolSize: 7, itemStyle: { color: "#b42318" }, lineStyle: { width: 2 } }
    ]
  });
  box.setAttribute("data-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
}());
