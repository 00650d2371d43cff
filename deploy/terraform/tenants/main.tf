# Sluice's tree in Vault KV v2, as Sluice reads it (docs/vault.md; config-vault's VaultLayout):
#   <mount>/<prefix>/plans/<plan>              limits by admin-API key, "quota-fail-policy"
#   <mount>/<prefix>/tenants/<tenant>          "plan" and limit overrides
#   <mount>/<prefix>/keys/<tenant>/<key-id>    "name", "sha256", "scopes", "functions", "expires-at"
#   <mount>/<prefix>/config                    configuration keys, values as text
# Sluice polls the tree and applies it whole: every gateway serves the new plans, tenants and keys within one
# config-poll-ms of `terraform apply`. Objects declared here show "managed-by": "vault" in the admin API, which
# refuses to edit them (409 managed-elsewhere): change them here.

locals {
  # The limit keys Sluice accepts (tenancy's Limit; a gateway test checks this list against it), so a typo fails at
  # plan time here rather than as a refused configuration in Sluice's log.
  limit_keys = ["requests-per-second", "burst", "max-concurrency", "max-fuel-per-call", "fuel-per-day", "invocations-per-minute", "invocations-per-day", "max-memory-pages", "max-timeout-ms", "max-module-bytes", "max-functions", "max-asset-bytes", "max-asset-files", "scratch-bytes", "scratch-inodes"]
  # Each limit's range, [min, max], as tenancy's Limit has it (0 = no limit where the minimum is 0, except the file
  # limits max-asset-*, scratch-*, where 0 = none): whole numbers only.
  limit_ranges = {
    "requests-per-second"    = [1, 1000000]
    "burst"                  = [1, 1000000]
    "max-concurrency"        = [0, 1000000]
    "max-fuel-per-call"      = [1, 1000000000000000]
    "fuel-per-day"           = [0, 1000000000000000]
    "invocations-per-minute" = [0, 1000000000]
    "invocations-per-day"    = [0, 1000000000000]
    "max-memory-pages"       = [1, 65536]
    "max-timeout-ms"         = [1, 3600000]
    "max-module-bytes"       = [1, 1073741824]
    "max-functions"          = [0, 1000000]
    "max-asset-bytes"        = [0, 1073741824]
    "max-asset-files"        = [0, 100000]
    "scratch-bytes"          = [0, 268435456]
    "scratch-inodes"         = [0, 100000]
  }
  fail_policies = ["fail-open", "fail-closed"]
  scopes        = ["invoke", "deploy", "read"]

  # Every key of every tenant, by "<tenant>/<key name>" (the address of its random_id, random_bytes and Vault path).
  keys = merge([
    for tenant, t in var.tenants : {
      for name, k in t.keys : "${tenant}/${name}" => merge(k, { tenant = tenant, name = name })
    }
  ]...)

  # Each key's secret as Sluice issues them: 32 random bytes in url-safe base64 without padding (43 characters).
  # Sensitive (random_bytes marks its base64 so): it reaches Vault only through sha256() below.
  key_secrets = {
    for k, b in random_bytes.key_secret : k => replace(replace(trimsuffix(b.base64, "="), "+", "-"), "/", "_")
  }
}

resource "vault_kv_secret_v2" "plan" {
  for_each            = var.plans
  mount               = var.mount
  name                = "${var.prefix}/plans/${each.key}"
  delete_all_versions = true # a removed plan leaves no path behind for Sluice to list
  data_json = jsonencode(merge(
    each.value.limits,
    each.value.quota_fail_policy == null ? {} : { "quota-fail-policy" = each.value.quota_fail_policy },
  ))

  lifecycle {
    precondition {
      condition     = alltrue([for k in keys(each.value.limits) : contains(local.limit_keys, k)])
      error_message = "plan ${each.key}: unknown limit key (expected: ${join(", ", local.limit_keys)})"
    }
    precondition {
      condition     = alltrue([for k, v in each.value.limits : floor(v) == v && v >= lookup(local.limit_ranges, k, [v, v])[0] && v <= lookup(local.limit_ranges, k, [v, v])[1]])
      error_message = "plan ${each.key}: a limit is a whole number in its range (${join(", ", [for k, r in local.limit_ranges : "${k} ${r[0]}..${r[1]}"])})"
    }
    precondition {
      condition     = each.value.quota_fail_policy == null || contains(local.fail_policies, coalesce(each.value.quota_fail_policy, "-"))
      error_message = "plan ${each.key}: quota_fail_policy (expected: fail-open or fail-closed)"
    }
  }
}

resource "vault_kv_secret_v2" "tenant" {
  for_each            = var.tenants
  mount               = var.mount
  name                = "${var.prefix}/tenants/${each.key}"
  delete_all_versions = true
  data_json = jsonencode(merge(
    each.value.limits,
    each.value.plan == null ? {} : { "plan" = each.value.plan },
    each.value.quota_fail_policy == null ? {} : { "quota-fail-policy" = each.value.quota_fail_policy },
  ))

  # Sluice applies the tree whole and refuses a tenant on a plan it cannot find: write plans first.
  depends_on = [vault_kv_secret_v2.plan]

  lifecycle {
    precondition {
      condition     = alltrue([for k in keys(each.value.limits) : contains(local.limit_keys, k)])
      error_message = "tenant ${each.key}: unknown limit key (expected: ${join(", ", local.limit_keys)})"
    }
    precondition {
      condition     = alltrue([for k, v in each.value.limits : floor(v) == v && v >= lookup(local.limit_ranges, k, [v, v])[0] && v <= lookup(local.limit_ranges, k, [v, v])[1]])
      error_message = "tenant ${each.key}: a limit is a whole number in its range (${join(", ", [for k, r in local.limit_ranges : "${k} ${r[0]}..${r[1]}"])})"
    }
    precondition {
      condition     = each.value.quota_fail_policy == null || contains(local.fail_policies, coalesce(each.value.quota_fail_policy, "-"))
      error_message = "tenant ${each.key}: quota_fail_policy (expected: fail-open or fail-closed)"
    }
  }
}

# A key's id: 8 random bytes, 16 lowercase hex digits. Not secret: it names the Vault path and the admin API's key.
resource "random_id" "key" {
  for_each    = local.keys
  byte_length = 8
}

# A key's secret. Kept in Terraform's state (protect the state as you protect Vault's root token); rotate it with
# terraform apply -replace='random_bytes.key_secret["<tenant>/<key name>"]'.
resource "random_bytes" "key_secret" {
  for_each = local.keys
  length   = 32
}

resource "vault_kv_secret_v2" "key" {
  for_each            = local.keys
  mount               = var.mount
  name                = "${var.prefix}/keys/${each.value.tenant}/${random_id.key[each.key].hex}"
  delete_all_versions = true
  # Only the SHA-256 of the secret's text: Sluice compares it with the hash of what a client presents.
  data_json = jsonencode(merge(
    {
      "name"   = each.value.name
      "sha256" = sha256(local.key_secrets[each.key])
      "scopes" = each.value.scopes
    },
    each.value.functions == null ? {} : { "functions" = each.value.functions },
    each.value.expires_at == null ? {} : { "expires-at" = each.value.expires_at },
  ))

  depends_on = [vault_kv_secret_v2.tenant]

  lifecycle {
    precondition {
      condition     = length(each.value.scopes) > 0 && alltrue([for s in each.value.scopes : contains(local.scopes, s)])
      error_message = "key ${each.key}: scopes (expected: one or more of invoke, deploy, read)"
    }
  }
}

resource "vault_kv_secret_v2" "config" {
  count               = length(var.config) > 0 ? 1 : 0
  mount               = var.mount
  name                = "${var.prefix}/config"
  delete_all_versions = true
  data_json           = jsonencode(var.config)
}
