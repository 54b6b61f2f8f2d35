// The analytics pages (templates/analytics/): the viewer's time zone, and the three daily charts.
// Plain script, no build step, loaded (deferred) in <head>; Chart.js (static/vendor) before it where there are charts.
(() => {
  "use strict";

  if (window.voicebotAnalytics) return; // set up once per document

  // --- Time zone: the pages bucket days and show times in the zone named by ?tz=; without one, reload once with
  // the browser's (location.replace: no extra history entry; the new URL has tz, so this never loops).
  function viewerZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  const zone = viewerZone();
  if (zone && document.querySelector("[data-analytics-page]")) {
    const url = new URL(window.location.href);
    if (!url.searchParams.has("tz")) {
      for (const input of document.querySelectorAll("input[data-viewer-zone]")) input.value = zone;
      url.searchParams.set("tz", zone);
      window.location.replace(url.toString());
      return;
    }
  }

  // --- Charts -------------------------------------------------------------------------------------------------
  const COLORS = { calls: "#4338ca", cost: "#15803d", duration: "#b45309" };
  const money = (value) => `$${Number(value).toFixed(2)}`;
  const seconds = (value) => {
    if (value === null || value === undefined) return "no calls";
    const total = Math.round(value);
    return total >= 60 ? `${Math.floor(total / 60)}m ${String(total % 60).padStart(2, "0")}s` : `${total}s`;
  };

  const CHARTS = {
    calls: { type: "bar", label: "Calls", tick: (value) => value, tooltip: (value) => `${value} calls`, step: 1 },
    cost: { type: "bar", label: "Cost (USD)", tick: money, tooltip: money },
    duration: { type: "line", label: "Average duration (s)", tick: seconds, tooltip: seconds },
  };

  function chartConfig(kind, data) {
    const spec = CHARTS[kind];
    const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    return {
      type: spec.type,
      data: {
        labels: data.labels,
        datasets: [
          {
            label: spec.label,
            data: data[kind],
            backgroundColor: COLORS[kind],
            borderColor: COLORS[kind],
            borderRadius: spec.type === "bar" ? 3 : 0,
            maxBarThickness: 28,
            pointRadius: data.labels.length > 45 ? 0 : 2,
            spanGaps: true,
            tension: 0.25,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduced ? false : { duration: 300 },
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => spec.tooltip(item.raw) } },
        },
        scales: {
          x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 8 } },
          y: {
            beginAtZero: true,
            ticks: { callback: spec.tick, precision: spec.step ? 0 : undefined, maxTicksLimit: 6 },
          },
        },
      },
    };
  }

  function drawCharts() {
    const source = document.getElementById("analytics-daily");
    if (!source || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
      const kind = canvas.dataset.chart;
      if (!CHARTS[kind]) continue;
      const existing = window.Chart.getChart(canvas);
      if (existing) existing.destroy();
      new window.Chart(canvas, chartConfig(kind, data));
    }
  }

  window.voicebotAnalytics = { drawCharts };
  drawCharts();
  // Back and forward through the call filters: htmx restores a snapshot of the page, whose canvases are blank.
  document.addEventListener("htmx:historyRestore", drawCharts);
})();
