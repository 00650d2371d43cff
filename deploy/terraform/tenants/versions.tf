# Providers for the tenants-as-code example. The Vault provider writes Sluice's KV v2 tree; the random provider makes
# the API keys' ids and secrets (the secrets stay in Terraform's state, never in Vault: see README.md).
terraform {
  required_version = ">= 1.3" # optional() object attributes with defaults

  required_providers {
    vault = {
      source  = "hashicorp/vault"
      version = ">= 3.12" # vault_kv_secret_v2
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5" # random_bytes
    }
  }
}

# Address, token and namespace come from the usual VAULT_ADDR, VAULT_TOKEN and VAULT_NAMESPACE.
provider "vault" {}
