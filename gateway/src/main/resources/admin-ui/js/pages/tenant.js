// One tenant: its plan and effective limits, its API keys (issue, rotate, revoke), its functions
// (GET /admin/v1/tenants/{t}/functions) and its usage over the last N days as a chart.

import { call, seg } from '../api.js';
import { field, h, number, problemLine, status, table, time } from '../dom.js';
import { COLORS, lineChart } from '../chart.js';
import { FAIL_POLICY, LIMITS } from '../limits.js';

const DAY = 86400;

export async function tenantPage(root, signal, name) {
  const base = `/admin/v1/tenants/${seg(name)}`;
  root.append(h('p', { class: 'crumbs' }, h('a', { href: '#/tenants' }, 'Tenants'), ' / ', name));
  root.append(h('h1', { tabindex: '-1' }, `Tenant ${name}`));
  let tenant;
  try {
    tenant = await call('GET', base);
  } catch (problem) {
    if (!signal.aborted) root.append(problemLine(problem));
    return;
  }
  if (signal.aborted) return;
  const sections = {
    plan: h('section', { class: 'panel', 'aria-labelledby': 'plan-title' }),
    keys: h('section', { class: 'panel', 'aria-labelledby': 'keys-title' }),
    functions: h('section', { class: 'panel', 'aria-labelledby': 'functions-title' }),
    usage: h('section', { class: 'panel', 'aria-labelledby': 'usage-title' }),
  };
  root.append(sections.usage, sections.keys, sections.functions, sections.plan, dangerZone(base, name, tenant));
  await Promise.all([
    usageSection(sections.usage, base, signal),
    keysSection(sections.keys, base, tenant, signal),
    functionsSection(sections.functions, base, signal),
    planSection(sections.plan, base, tenant, signal),
  ]);
}

async function planSection(box, base, tenant, signal) {
  const plans = await call('GET', '/admin/v1/plans').then((b) => b.plans || [], (p) => p);
  if (signal.aborted) return;
  box.replaceChildren(h('h2', { id: 'plan-title' }, 'Plan and limits'));
  const select = h('select', { id: 'tenant-plan' }, h('option', { value: '' }, '(no plan)'));
  if (Array.isArray(plans)) {
    for (const p of plans) select.append(h('option', { value: p.plan }, p.plan));
  } else {
    box.append(problemLine(plans, 'Plans'));
  }
  if (tenant.plan && ![...select.options].some((o) => o.value === tenant.plan)) {
    select.append(h('option', { value: tenant.plan }, tenant.plan));
  }
  select.value = tenant.plan ?? '';
  const result = h('div', { class: 'result' });
  const form = h('form', { class: 'inline' }, field('Plan', select),
    h('button', { type: 'submit', disabled: Boolean(tenant['managed-by']) }, 'Change plan'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    try {
      const updated = await call('PUT', base, { plan: select.value || null });
      await planSection(box, base, updated, signal);
      box.querySelector('.result').append(status(`Plan is now ${updated.plan ?? '(none)'}`));
    } catch (problem) {
      result.append(problemLine(problem));
    }
  });
  const overrides = tenant.overrides || {};
  const keys = [...LIMITS, FAIL_POLICY].filter((k) => k in (tenant.limits || {}) || k in overrides);
  box.append(form, result, table('Effective limits (the plan, or the defaults, with the tenant\'s overrides)',
    ['Limit', 'Value', 'Override'],
    keys.map((k) => [k, typeof tenant.limits?.[k] === 'number' ? number(tenant.limits[k]) : tenant.limits?.[k] ?? '—',
      k in overrides ? String(overrides[k]) : ''])),
  h('p', { class: 'hint' }, 'A limit of 0 means unlimited where the limit is optional (see docs/tenancy.md).'));
}

async function keysSection(box, base, tenant, signal) {
  box.replaceChildren(h('h2', { id: 'keys-title' }, 'API keys'));
  const secret = h('div', { class: 'secret-box', id: 'new-key-box', hidden: true });
  const result = h('div', { class: 'result' });
  const listBox = h('div');
  const refresh = async () => {
    let keys;
    try {
      keys = (await call('GET', `${base}/keys`)).keys || [];
    } catch (problem) {
      listBox.replaceChildren(problemLine(problem, 'Keys'));
      return;
    }
    if (signal.aborted) return;
    listBox.replaceChildren(keys.length === 0 ? h('p', {}, 'No keys.') : table('Keys (metadata only: '
      + 'Sluice keeps no secret)', ['Name', 'Id', 'Scopes', 'Functions', 'Created', 'Expires', 'Last used', ''],
    keys.map((k) => [k.name, h('code', {}, k.id), (k.scopes || []).join(', '),
      k.functions ? k.functions.join(', ') : 'all', time(k['created-at']), time(k['expires-at']),
      time(k['last-used-at']), keyActions(k)])));
  };
  const show = (issued, note) => {
    const input = h('input', { id: 'new-key', readonly: true, value: issued.key, spellcheck: 'false',
      'aria-describedby': 'new-key-warning', class: 'secret' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(input.value);
        copy.textContent = 'Copied';
      } catch {
        copy.textContent = 'Press Ctrl+C';
      }
    });
    const done = h('button', { type: 'button' }, 'Done');
    done.addEventListener('click', () => {
      secret.replaceChildren();
      secret.hidden = true;
    });
    secret.replaceChildren(
      h('p', { id: 'new-key-warning', class: 'warning' }, `Copy this key now: it is shown only once. Sluice keeps `
        + `only its hash. ${note}`),
      field(`New key "${issued.name}" (${issued.id})`, input), h('div', { class: 'actions' }, copy, done));
    secret.hidden = false;
    input.focus();
    input.select();
  };
  const keyActions = (key) => {
    if (key['managed-by']) return `managed by ${key['managed-by']}`;
    const rotate = h('button', { type: 'button', 'data-action': 'rotate', 'data-key': key.id }, 'Rotate');
    const revoke = h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', 'data-key': key.id },
      'Revoke');
    rotate.addEventListener('click', async () => {
      result.replaceChildren();
      if (!confirm(`Rotate key "${key.name}" (${key.id})? A new key is issued; the old one keeps working for one hour.`)) {
        return;
      }
      try {
        const rotated = await call('POST', `${base}/keys/${seg(key.id)}/rotate`, {});
        show(rotated, `The previous key (${key.id}) keeps working for one hour.`);
        await refresh();
      } catch (problem) {
        result.append(problemLine(problem));
      }
    });
    revoke.addEventListener('click', async () => {
      result.replaceChildren();
      if (!confirm(`Revoke key "${key.name}" (${key.id})? Calls with it fail at once.`)) return;
      try {
        await call('DELETE', `${base}/keys/${seg(key.id)}`);
        result.append(status(`Key ${key.id} revoked`));
        await refresh();
      } catch (problem) {
        result.append(problemLine(problem));
      }
    });
    return h('span', { class: 'actions' }, rotate, revoke);
  };
  const name = h('input', { id: 'key-name', required: true, maxlength: '200', autocomplete: 'off' });
  const form = h('form', { class: 'inline' }, field('Key name', name), h('button', { type: 'submit' }, 'Issue key'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    try {
      const issued = await call('POST', `${base}/keys`, { name: name.value });
      name.value = '';
      show(issued, 'It has every scope and reaches every function.');
      await refresh();
    } catch (problem) {
      result.append(problemLine(problem));
    }
  });
  box.append(secret, listBox, form, result);
  await refresh();
}

async function functionsSection(box, base, signal) {
  box.replaceChildren(h('h2', { id: 'functions-title' }, 'Functions'));
  let functions;
  try {
    functions = (await call('GET', `${base}/functions`)).functions || [];
  } catch (problem) {
    if (!signal.aborted) box.append(problemLine(problem, 'Functions'));
    return;
  }
  if (signal.aborted) return;
  const compiled = functions.some((f) => 'compiled' in f);
  box.append(functions.length === 0 ? h('p', {}, 'No functions deployed.') : table('Deployed functions',
    ['Name', 'Size (bytes)', 'Memory pages', 'Timeout (ms)', 'Fuel per call', 'Deployed', ...(compiled ? ['Tier'] : [])],
    functions.map((f) => [h('span', { class: 'function-name' }, f.name), number(f.size), number(f['memory-pages']),
      number(f['timeout-ms']), number(f.fuel), time(f['deployed-at']),
      ...(compiled ? [f.compiled === true ? 'compiled' : f.compiled === false ? 'interpreter (compiling)' : '—'] : [])])));
}

async function usageSection(box, base, signal) {
  const days = h('select', { id: 'usage-days' },
    [7, 14, 30, 62].map((n) => h('option', { value: String(n) }, `${n} days`)));
  days.value = '14';
  const chartBox = h('div', { class: 'chart', id: 'usage-chart', role: 'img',
    'aria-label': 'Invocations, errors, throttles and fuel per UTC day' });
  const totals = h('p', { id: 'usage-totals' });
  const result = h('div', { class: 'result' });
  box.replaceChildren(h('h2', { id: 'usage-title' }, 'Usage'), h('form', { class: 'inline' }, field('Over', days)),
    result, chartBox, totals);
  const chart = lineChart(chartBox, {
    days: true,
    series: [
      { label: 'Invocations', scale: 'count', color: COLORS.invocations },
      { label: 'Errors', scale: 'count', color: COLORS.errors },
      { label: 'Throttles', scale: 'count', color: COLORS.throttles },
      { label: 'Fuel', scale: 'fuel', color: COLORS.fuel, dash: [6, 4] },
    ],
    axes: [{ scale: 'count', label: 'calls' }, { scale: 'fuel', label: 'fuel', side: 1 }],
  }, signal);
  const load = async () => {
    result.replaceChildren();
    const n = Number(days.value);
    let usage;
    try {
      usage = await call('GET', `${base}/usage?days=${n}`);
    } catch (problem) {
      if (!signal.aborted) result.append(problemLine(problem, 'Usage'));
      return;
    }
    if (signal.aborted) return;
    const points = fillDays(usage.days || [], n);
    chart.set([points.x, points.invocations, points.errors, points.throttles, points.fuel], points);
    const t = usage.total || {};
    totals.textContent = `Over ${n} days: ${number(t.invocations)} invocations, ${number(t.errors)} errors, `
      + `${number(t.throttles)} throttles, ${number(t.fuel)} fuel.`;
  };
  days.addEventListener('change', load);
  await load();
}

/** One point per UTC day, oldest first, ending today (or the server's newest day), zero where nothing was used. */
function fillDays(rows, n) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate()) / 1000;
  const newest = rows.reduce((max, r) => Math.max(max, Date.parse(`${r.day}T00:00:00Z`) / 1000), today);
  const points = { days: [], x: [], invocations: [], errors: [], throttles: [], fuel: [] };
  for (let i = n - 1; i >= 0; i--) {
    const x = newest - i * DAY;
    const day = new Date(x * 1000).toISOString().slice(0, 10);
    const row = byDay.get(day) || {};
    points.days.push(day);
    points.x.push(x);
    for (const k of ['invocations', 'errors', 'throttles', 'fuel']) points[k].push(row[k] ?? 0);
  }
  return points;
}

function dangerZone(base, name, tenant) {
  const result = h('div', { class: 'result' });
  const remove = h('button', { type: 'button', class: 'danger', disabled: Boolean(tenant['managed-by']) },
    'Delete tenant');
  remove.addEventListener('click', async () => {
    result.replaceChildren();
    if (!confirm(`Delete tenant ${name} with all its keys and functions? This cannot be undone.`)) return;
    try {
      await call('DELETE', base);
      location.hash = '#/tenants';
    } catch (problem) {
      result.append(problemLine(problem));
    }
  });
  return h('section', { class: 'panel' }, h('h2', {}, 'Delete'),
    tenant['managed-by'] ? h('p', {}, `Managed by ${tenant['managed-by']}: change it there.`) : null, remove, result);
}
