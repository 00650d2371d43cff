// The admin API as the console calls it: the token from this tab's session storage in the Authorization header
// (never a cookie, never local storage), JSON in and out, and every failure as a Problem (RFC 9457) to show.

const TOKEN = 'sluice-admin-token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN),
  keep: (token) => sessionStorage.setItem(TOKEN, token),
  clear: () => sessionStorage.removeItem(TOKEN),
};

/** A failed call: the server's problem document, or one made here for a transport failure. */
export class Problem extends Error {
  constructor(status, body) {
    const title = typeof body.title === 'string' ? body.title : `HTTP ${status}`;
    super(title);
    this.status = status;
    this.type = typeof body.type === 'string' ? body.type : 'about:blank';
    this.title = title;
    this.detail = typeof body.detail === 'string' ? body.detail : '';
  }

  /** One line for the page: the title, then the detail. */
  get line() {
    return this.detail ? `${this.title}: ${this.detail}` : this.title;
  }
}

let unauthorized = () => {};

/** Called when the kept token stops working (revoked, server restarted with another token). */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

/** Calls the admin API; resolves to the parsed body (null for 204), rejects with a Problem. */
export async function call(method, path, body, token = session.token()) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  // credentials: omit — the API authenticates by the header alone, so no cookie can ever make a call (CSRF).
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new Problem(0, { title: 'Cannot reach the server', detail: String(e && e.message ? e.message : e) });
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const problem = new Problem(response.status, json && typeof json === 'object'
      ? json : { detail: text.slice(0, 200) });
    if (response.status === 401 && token && token === session.token()) unauthorized(problem);
    throw problem;
  }
  return json;
}

/** A path segment from a name (tenant, plan, key id): encoded, so it can never change the path. */
export const seg = encodeURIComponent;
