// Building the page without HTML strings: elements from tag, attributes and children, where every string child
// becomes a text node. Tenant-controlled text (key names, function names) therefore can never become markup.

/** An element; attributes are set as attributes (no style: the CSP forbids it), on* names add listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'value') {
      element.value = String(value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** The line a page shows for a failed call (a Problem, or anything else thrown). */
export function problemLine(problem, prefix = '') {
  const text = problem && problem.line ? problem.line : String(problem);
  return h('p', { class: 'problem', role: 'alert' }, prefix ? `${prefix}: ${text}` : text);
}

export function status(text) {
  return h('p', { class: 'status', role: 'status' }, text);
}

const numbers = new Intl.NumberFormat('en-US');

export function number(value) {
  return typeof value === 'number' ? numbers.format(value) : '—';
}

/** An RFC 3339 time as "2026-11-29 11:02 UTC" (the server's times are UTC). */
export function time(value) {
  if (!value) return '—';
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value);
  return match ? `${match[1]} ${match[2]} UTC` : String(value);
}

/** A table with a caption, header cells and rows of cells (strings or nodes). */
export function table(caption, headers, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((title) => h('th', { scope: 'col' }, title)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

/** A labelled field: the label and the control, tied by id. */
export function field(label, control) {
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}
