/* A project's sign-offs by week (web/templates/_progress_chart.html): bars of versions signed off
   each week and the cumulative completeness line, drawn with the vendored Apache ECharts from the
   page's JSON block (no inline script: the CSP allows none). Without script the table stands in. */
(function () {
  'use strict';
  var holder = document.getElementById('progress-chart');
  var source = document.getElementById('progress-data');
  if (!holder || !source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var weeks = data.weeks;
  holder.hidden = false;
  var chart = window.echarts.init(holder, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    color: ['#1d5fa8', '#2e7d4f'],
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, data: [data.labels.signed, data.labels.percent] },
    grid: { left: 8, right: 8, top: 28, bottom: 36, containLabel: true },
    xAxis: { type: 'category', data: weeks.map(function (w) { return w.week; }),
             axisLabel: { hideOverlap: true } },
    yAxis: [
      { type: 'value', name: data.labels.signed, minInterval: 1, nameTextStyle: { align: 'left' } },
      { type: 'value', name: '%', min: 0, max: 100, splitLine: { show: false } }
    ],
    series: [
      { name: data.labels.signed, type: 'bar', barMaxWidth: 24,
        data: weeks.map(function (w) { return w.signed; }) },
      { name: data.labels.percent, type: 'line', yAxisIndex: 1, symbolSize: 5,
        data: weeks.map(function (w) { return w.percent; }),
        tooltip: { valueFormatter: function (v) { return v + '%'; } } }
    ]
  });
  function fit() { chart.resize(); }
  window.addEventListener('resize', fit);
  window.addEventListener('beforeprint', fit);
  window.addEventListener('afterprint', fit);
}());
