// Tenants: every tenant with its plan and today's usage (GET /admin/v1/usage?days=1), and a form to create one.

import { call, seg } from '../api.js';
import { field, h, number, problemLine, table } from '../dom.js';
import { NAME } from '../limits.js';

export async function tenantsPage(root, signal) {
  root.append(h('h1', { tabindex: '-1' }, 'Tenants'));
  const [tenants, usage, plans] = await Promise.allSettled([
    call('GET', '/admin/v1/tenants'),
    call('GET', '/admin/v1/usage?days=1'),
    call('GET', '/admin/v1/plans'),
  ]);
  if (signal.aborted) return;
  if (tenants.status === 'rejected') {
    root.append(problemLine(tenants.reason, 'Tenants'));
  } else {
    const today = new Map();
    if (usage.status === 'fulfilled') {
      for (const row of usage.value.tenants || []) today.set(row.tenant, row);
    } else {
      root.append(problemLine(usage.reason, 'Usage today'));
    }
    const list = tenants.value.tenants || [];
    const day = usage.status === 'fulfilled' && usage.value.to ? ` (${usage.value.to}, UTC)` : '';
    root.append(list.length === 0 ? h('p', {}, 'No tenants yet.') : table(`Tenants and their usage today${day}`,
      ['Tenant', 'Plan', 'Invocations', 'Errors', 'Throttles', 'Fuel', 'Managed by'],
      list.map((t) => {
        const u = today.get(t.tenant);
        return [
          h('a', { href: `#/tenants/${seg(t.tenant)}` }, t.tenant),
          t.plan ?? '(none)',
          number(u?.invocations), number(u?.errors), number(u?.throttles), number(u?.fuel),
          t['managed-by'] ?? '',
        ];
      })));
  }
  root.append(createForm(plans, tenants.status === 'fulfilled' ? tenants.value.tenants || [] : []));
}

function createForm(plans, existing) {
  const name = h('input', { id: 'new-tenant', name: 'tenant', required: true, pattern: NAME, maxlength: '63',
    autocomplete: 'off', spellcheck: 'false' });
  const plan = h('select', { id: 'new-tenant-plan', name: 'plan' }, h('option', { value: '' }, '(no plan)'));
  const result = h('div', { class: 'result' });
  if (plans.status === 'fulfilled') {
    for (const p of plans.value.plans || []) plan.append(h('option', { value: p.plan }, p.plan));
  } else {
    result.append(problemLine(plans.reason, 'Plans'));
  }
  const form = h('form', { class: 'inline', 'aria-labelledby': 'create-tenant' },
    field('Name', name), field('Plan', plan), h('button', { type: 'submit' }, 'Create tenant'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren();
    // PUT creates or updates: a create must not silently change an existing tenant's plan.
    if (existing.some((t) => t.tenant === name.value)) {
      result.append(problemLine({ line: `Tenant ${name.value} exists already` }));
      return;
    }
    try {
      await call('PUT', `/admin/v1/tenants/${seg(name.value)}`, { plan: plan.value || null });
      location.hash = `#/tenants/${seg(name.value)}`;
    } catch (problem) {
      result.append(problemLine(problem));
    }
  });
  return h('section', { class: 'panel' }, h('h2', { id: 'create-tenant' }, 'Create a tenant'), form,
    h('p', { class: 'hint' }, 'Names: lower-case letters, digits and dashes, up to 63 characters.'), result);
}
