// Line charts drawn by uPlot (vendor/uplot, loaded before the modules as the global uPlot). The data a chart shows
// is also kept, as JSON, in its box's data-points attribute: what the page holds, readable by tests and tools.

const HEIGHT = 260;

/**
 * A chart in `box`: `spec.series` are {label, scale, color, dash}, `spec.axes` the y axes ({scale, label, side}),
 * `spec.days` true for an x axis of UTC days (else times of day), `spec.window` the seconds a sliding time axis
 * shows (else the data's range). Call set() with the columns to draw.
 */
export function lineChart(box, spec, signal) {
  let plot = null;
  const width = () => Math.max(320, box.clientWidth || 800);
  const options = () => ({
    width: width(),
    height: HEIGHT,
    // The server's days and times are UTC; show them so, whatever the browser's zone.
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: { x: spec.window
      // A fixed window ending at the newest point: one point must not stretch the axis over years.
      ? { time: true, range: (u, min, max) => [max - spec.window, max] }
      : { time: true } },
    // The legend names the series; values show only while the cursor is over the chart.
    legend: { live: false },
    series: [
      { label: spec.days ? 'Day (UTC)' : 'Time (UTC)' },
      ...spec.series.map((s) => ({ label: s.label, scale: s.scale, stroke: s.color, width: 2, dash: s.dash,
        points: { show: true, size: 5 } })),
    ],
    axes: [
      // Days: ticks on whole days only, so no label repeats.
      spec.days ? { values: '{YYYY}-{MM}-{DD}', incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400] } : {},
      ...spec.axes.map((a) => ({ scale: a.scale, label: a.label, side: a.side ?? 3,
        grid: { show: a.side !== 1 }, size: 70 })),
    ],
  });
  window.addEventListener('resize', () => plot && plot.setSize({ width: width(), height: HEIGHT }), { signal });
  return {
    /** Draws `columns` ([x seconds, ...one array per series]); `points` is what data-points exposes. */
    set(columns, points) {
      box.dataset.points = JSON.stringify(points);
      if (plot) {
        plot.setData(columns);
      } else {
        plot = new uPlot(options(), columns, box);
      }
    },
  };
}

export const COLORS = {
  invocations: '#1d4ed8',
  errors: '#dc2626',
  throttles: '#d97706',
  fuel: '#047857',
  inFlight: '#7c3aed',
};
