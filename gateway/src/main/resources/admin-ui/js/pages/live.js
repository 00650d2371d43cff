// Live: this gateway's throughput. Polls GET /admin/v1/stats every 2 s and plots the differences per second of its
// counters (invocations, errors, throttles) and the invocations in flight, over the last two minutes.

import { call } from '../api.js';
import { h, number, problemLine } from '../dom.js';
import { COLORS, lineChart } from '../chart.js';

const PERIOD_MS = 2000;
const KEEP = 60;

export async function livePage(root, signal) {
  root.append(h('h1', { tabindex: '-1' }, 'Live'));
  root.append(h('p', { class: 'hint' }, 'This gateway process only (each gateway counts its own), polled every 2 s.'));
  const now = {
    invocations: h('dd', { id: 'live-invocations' }, '—'),
    errors: h('dd', { id: 'live-errors' }, '—'),
    throttles: h('dd', { id: 'live-throttles' }, '—'),
    inFlight: h('dd', { id: 'live-in-flight' }, '—'),
  };
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const chartBox = h('div', { class: 'chart', id: 'live-chart', role: 'img',
    'aria-label': 'Invocations, errors and throttles per second, and invocations in flight' });
  root.append(h('dl', { class: 'stats' },
    h('dt', {}, 'Invocations/s'), now.invocations, h('dt', {}, 'Errors/s'), now.errors,
    h('dt', {}, 'Throttles/s'), now.throttles, h('dt', {}, 'In flight'), now.inFlight), result, chartBox);
  const chart = lineChart(chartBox, {
    days: false,
    window: (KEEP * PERIOD_MS) / 1000,
    series: [
      { label: 'Invocations/s', scale: 'rate', color: COLORS.invocations },
      { label: 'Errors/s', scale: 'rate', color: COLORS.errors },
      { label: 'Throttles/s', scale: 'rate', color: COLORS.throttles },
      { label: 'In flight', scale: 'count', color: COLORS.inFlight, dash: [6, 4] },
    ],
    axes: [{ scale: 'rate', label: 'per second' }, { scale: 'count', label: 'in flight', side: 1 }],
  }, signal);
  const points = { x: [], invocations: [], errors: [], throttles: [], inFlight: [] };
  let previous = null;
  let polls = 0;
  const poll = async () => {
    let stats;
    try {
      stats = await call('GET', '/admin/v1/stats');
    } catch (problem) {
      if (signal.aborted) return;
      result.replaceChildren(problemLine(problem, 'Stats'));
      // Nothing to poll on a server without the endpoint; anything else may pass (a restart, say).
      if (problem.status !== 404) setTimeout(poll, PERIOD_MS);
      return;
    }
    if (signal.aborted) return;
    result.replaceChildren();
    chartBox.dataset.polls = String(++polls);
    const sample = { at: performance.now(), stats };
    if (previous && rates(previous, sample, points)) {
      for (const k of ['x', 'invocations', 'errors', 'throttles', 'inFlight']) {
        if (points[k].length > KEEP) points[k].shift();
      }
      const last = points.x.length - 1;
      now.invocations.textContent = rate(points.invocations[last]);
      now.errors.textContent = rate(points.errors[last]);
      now.throttles.textContent = rate(points.throttles[last]);
      now.inFlight.textContent = number(points.inFlight[last]);
      chart.set([points.x, points.invocations, points.errors, points.throttles, points.inFlight], points);
    }
    previous = sample;
    setTimeout(poll, PERIOD_MS);
  };
  await poll();
}

/** Appends the rates between two samples; false when the counters restarted (another process, a restart). */
function rates(before, after, points) {
  const a = before.stats;
  const b = after.stats;
  if (b.invocations < a.invocations || b['uptime-ms'] < a['uptime-ms']) return false;
  // The server's own clock between the samples when it moved, else the browser's.
  const serverSeconds = (b['uptime-ms'] - a['uptime-ms']) / 1000;
  const seconds = serverSeconds > 0 ? serverSeconds : (after.at - before.at) / 1000;
  if (!(seconds > 0)) return false;
  const time = Date.parse(b.time);
  points.x.push((Number.isNaN(time) ? Date.now() : time) / 1000);
  points.invocations.push((b.invocations - a.invocations) / seconds);
  points.errors.push((b.errors - a.errors) / seconds);
  points.throttles.push((b.throttles - a.throttles) / seconds);
  points.inFlight.push(b['in-flight']);
  return true;
}

function rate(value) {
  return value.toFixed(value < 10 ? 2 : 1);
}
