// The limit keys of plans and tenant overrides (README "HTTP API"), in the order the console shows them.
export const LIMITS = [
  'requests-per-second', 'burst', 'max-concurrency', 'max-fuel-per-call', 'fuel-per-day',
  'invocations-per-minute', 'invocations-per-day', 'max-memory-pages', 'max-timeout-ms', 'max-module-bytes',
  'max-functions', 'max-asset-bytes', 'max-asset-files', 'scratch-bytes', 'scratch-inodes',
];

export const FAIL_POLICY = 'quota-fail-policy';
export const FAIL_POLICIES = ['fail-open', 'fail-closed'];

/**
 * Names of tenants and plans, as the server checks them; for pattern attributes, which browsers compile with the
 * `v` flag, where a literal dash in a class must be escaped.
 */
export const NAME = '[a-z0-9][a-z0-9\\-]{0,62}';
