# What Sluice reads, declared as data: a plan, a tenant or a key is one map entry. Keys of the JSON Sluice reads are
# the admin API's (docs/vault.md): limit names such as "requests-per-second", "quota-fail-policy", "plan", "scopes".

variable "mount" {
  description = "The KV version 2 mount Sluice reads (Sluice's vault-mount)."
  type        = string
  default     = "secret"
}

variable "prefix" {
  description = "The folder under the mount that holds Sluice's tree (Sluice's vault-prefix)."
  type        = string
  default     = "sluice"
}

variable "plans" {
  description = <<-EOT
    Plans by name. limits: numbers by limit key as in the admin API (requests-per-second, burst, max-concurrency,
    max-fuel-per-call, fuel-per-day, invocations-per-minute, invocations-per-day, max-memory-pages, max-timeout-ms,
    max-module-bytes, max-functions, max-asset-bytes, max-asset-files, scratch-bytes, scratch-inodes); a limit left out takes the default-* configuration key. quota_fail_policy:
    fail-open or fail-closed.
  EOT
  type = map(object({
    limits            = map(number)
    quota_fail_policy = optional(string)
  }))
  default = {
    free = {
      limits = {
        "requests-per-second" = 5
        "burst"               = 10
        "max-concurrency"     = 2
        "fuel-per-day"        = 50000000000
        "max-functions"       = 5
      }
    }
    pro = {
      limits = {
        "requests-per-second"    = 100
        "burst"                  = 200
        "max-concurrency"        = 50
        "max-fuel-per-call"      = 5000000000
        "fuel-per-day"           = 0 # unlimited
        "invocations-per-minute" = 6000
        "max-memory-pages"       = 512
        "max-timeout-ms"         = 30000
        "max-module-bytes"       = 33554432
        "max-functions"          = 100
      }
      quota_fail_policy = "fail-closed"
    }
  }

  # Sluice applies the tree whole: one value it refuses holds back every change, so what Terraform can check, it checks
  # here (names and the shape of values; each limit's range is a precondition in main.tf).
  validation {
    condition     = alltrue([for name in keys(var.plans) : can(regex("^[a-z0-9][a-z0-9-]{0,62}$", name))])
    error_message = "plans: a plan's name is 1 to 63 of a-z, 0-9 and '-', not starting with '-'."
  }
}

variable "tenants" {
  description = <<-EOT
    Tenants by name. plan: a plan's name (declared above or made with the admin API), or null for the default-* limits.
    limits and quota_fail_policy: overrides of the plan, keyed as in plans. keys: the tenant's API keys by name, each
    with scopes (invoke, deploy, read), optionally the only functions it may touch and an RFC 3339 expiry. Adding a
    tenant, or a key, is one entry here; removing it deletes it from Vault and Sluice.
  EOT
  type = map(object({
    plan              = optional(string)
    limits            = optional(map(number), {})
    quota_fail_policy = optional(string)
    keys = optional(map(object({
      scopes     = optional(list(string), ["invoke"])
      functions  = optional(list(string))
      expires_at = optional(string)
    })), {})
  }))
  default = {
    acme = {
      plan = "pro"
      keys = {
        ci = {
          scopes = ["deploy", "read"]
        }
        storefront = {
          scopes    = ["invoke"]
          functions = ["checkout", "cart"]
        }
      }
    }
    globex = {
      plan   = "free"
      limits = { "burst" = 20 }
      keys = {
        trial = {
          scopes     = ["invoke", "read"]
          expires_at = "2027-06-30T00:00:00Z"
        }
      }
    }
  }

  validation {
    condition     = alltrue([for name in keys(var.tenants) : can(regex("^[a-z0-9][a-z0-9-]{0,62}$", name))])
    error_message = "tenants: a tenant's name is 1 to 63 of a-z, 0-9 and '-', not starting with '-' (Sluice ignores others)."
  }
  validation {
    condition     = alltrue([for t in values(var.tenants) : t.plan == null || can(regex("^[a-z0-9][a-z0-9-]{0,62}$", t.plan == null ? "" : t.plan))])
    error_message = "tenants: plan is a plan's name (1 to 63 of a-z, 0-9 and '-') or null."
  }
  validation {
    condition = alltrue(flatten([for t in values(var.tenants) : [
      for name, k in t.keys : length(name) <= 100 && can(regex("^[[:print:]]+$", name))
    ]]))
    error_message = "tenants: a key's name is 1 to 100 printable characters."
  }
  validation {
    condition = alltrue(flatten([for t in values(var.tenants) : [
      for k in values(t.keys) : length(k.functions == null ? ["-"] : k.functions) >= 1 && length(k.functions == null ? ["-"] : k.functions) <= 100 && alltrue([
        for f in(k.functions == null ? [] : k.functions) : can(regex("^[a-z0-9][a-z0-9-]{0,62}$", f))
      ])
    ]]))
    error_message = "tenants: a key's functions is null (every function) or 1 to 100 function names (1 to 63 of a-z, 0-9 and '-'); [] would refuse the whole set."
  }
  validation {
    condition = alltrue(flatten([for t in values(var.tenants) : [
      for k in values(t.keys) : k.expires_at == null || (
        can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$", k.expires_at == null ? "" : k.expires_at))
        && can(formatdate("YYYY", k.expires_at == null ? "" : k.expires_at))
      )
    ]]))
    error_message = "tenants: a key's expires_at is an RFC 3339 time like 2027-06-30T00:00:00Z, or null."
  }
}

variable "config" {
  description = <<-EOT
    Runtime configuration in Vault (the <prefix>/config path), as in the file: key = value text, e.g.
    "default-burst" = "40". Only live keys take effect without a restart (docs/configuration.md); the vault-* keys are
    never read from Vault. Empty: no config path is written and the file's values stand.
  EOT
  type        = map(string)
  default = {
    "default-requests-per-second" = "10"
    "default-burst"               = "20"
    "log-level"                   = "info"
  }
}
