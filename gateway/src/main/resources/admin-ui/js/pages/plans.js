// Plans: the list with their limits, a form to create one or edit one (PUT /admin/v1/plans/{plan}), and deletion.

import { call, seg } from '../api.js';
import { field, h, number, problemLine, status, table } from '../dom.js';
import { FAIL_POLICIES, FAIL_POLICY, LIMITS, NAME } from '../limits.js';

const SHOWN = ['requests-per-second', 'burst', 'max-concurrency', 'invocations-per-day', 'fuel-per-day',
  'max-functions'];

export async function plansPage(root, signal) {
  root.append(h('h1', { tabindex: '-1' }, 'Plans'));
  const listBox = h('div', { id: 'plans-list' });
  const editor = h('section', { class: 'panel', 'aria-labelledby': 'plan-form-title' });
  root.append(listBox, editor);
  let plans = [];
  const refresh = async () => {
    try {
      plans = (await call('GET', '/admin/v1/plans')).plans || [];
    } catch (problem) {
      if (!signal.aborted) listBox.replaceChildren(problemLine(problem, 'Plans'));
      return;
    }
    if (signal.aborted) return;
    listBox.replaceChildren(plans.length === 0 ? h('p', {}, 'No plans yet.') : table('Plans (some of their limits;'
      + ' Edit shows all)', ['Plan', ...SHOWN, 'Managed by', ''],
    plans.map((p) => [p.plan, ...SHOWN.map((k) => number(p.limits?.[k])), p['managed-by'] ?? '', actions(p)])));
  };
  const actions = (plan) => {
    if (plan['managed-by']) return '';
    const edit = h('button', { type: 'button', 'data-action': 'edit', 'data-plan': plan.plan }, 'Edit');
    edit.addEventListener('click', () => showForm(plan));
    const remove = h('button', { type: 'button', class: 'danger', 'data-action': 'delete', 'data-plan': plan.plan },
      'Delete');
    remove.addEventListener('click', async () => {
      if (!confirm(`Delete plan ${plan.plan}?`)) return;
      try {
        await call('DELETE', `/admin/v1/plans/${seg(plan.plan)}`);
        await refresh();
        showForm(null, status(`Plan ${plan.plan} deleted`));
      } catch (problem) {
        showForm(null, problemLine(problem));
      }
    });
    return h('span', { class: 'actions' }, edit, remove);
  };
  const showForm = (plan, message) => {
    const name = h('input', { id: 'plan-name', required: true, pattern: NAME, maxlength: '63', autocomplete: 'off',
      readonly: Boolean(plan), value: plan ? plan.plan : '' });
    const inputs = LIMITS.map((k) => h('input', { id: `limit-${k}`, name: k, type: 'number', min: '0', step: '1',
      inputmode: 'numeric', value: plan ? plan.limits?.[k] : null, placeholder: plan ? '' : 'default' }));
    const policy = h('select', { id: `limit-${FAIL_POLICY}`, name: FAIL_POLICY },
      h('option', { value: '' }, plan ? '(unchanged)' : '(default)'), FAIL_POLICIES.map((p) => h('option', { value: p }, p)));
    if (plan && plan.limits?.[FAIL_POLICY]) policy.value = plan.limits[FAIL_POLICY];
    const result = h('div', { class: 'result' }, message);
    const cancel = h('button', { type: 'button' }, plan ? 'Cancel' : 'Clear');
    cancel.addEventListener('click', () => showForm(null));
    const form = h('form', { id: 'plan-form' }, field('Plan name', name),
      h('div', { class: 'grid' }, inputs.map((input) => field(input.name, input)), field(FAIL_POLICY, policy)),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, plan ? 'Save plan' : 'Create plan'), cancel));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      result.replaceChildren();
      const body = {};
      for (const input of inputs) {
        if (input.value !== '') body[input.name] = Number(input.value);
      }
      if (policy.value) body[FAIL_POLICY] = policy.value;
      // PUT creates or updates: a create must not silently change an existing plan.
      if (!plan && plans.some((p) => p.plan === name.value)) {
        result.append(problemLine({ line: `Plan ${name.value} exists already: use its Edit button` }));
        return;
      }
      try {
        const saved = await call('PUT', `/admin/v1/plans/${seg(name.value)}`, body);
        await refresh();
        showForm(saved, status(`Plan ${saved.plan} ${plan ? 'saved' : 'created'}`));
      } catch (problem) {
        result.append(problemLine(problem));
      }
    });
    editor.replaceChildren(h('h2', { id: 'plan-form-title' }, plan ? `Edit plan ${plan.plan}` : 'Create a plan'),
      h('p', { class: 'hint' }, plan ? 'Every field is sent; a tenant on this plan sees the change on its next request.'
        : 'Fields left empty take the configured defaults (default-* keys).'), form, result);
  };
  showForm(null);
  await refresh();
}
