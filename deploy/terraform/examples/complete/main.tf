# Tenants as code: plans, tenants, API keys and runtime configuration in Vault, where Sluice reads them.
module "tenants" {
  source = "../../tenants"

  mount  = var.vault_mount
  prefix = var.vault_prefix
}

module "sluice" {
  source = "../../sluice"

  image = {
    repository = "ghcr.io/sluice-dev/sluice"
    tag        = "0.1.0-SNAPSHOT"
  }
  redis_uri            = var.redis_uri
  vault_address        = var.vault_address
  vault_mount          = var.vault_mount
  vault_prefix         = var.vault_prefix
  gateway_service_type = var.gateway_service_type

  # The tree is written before any gateway starts: a gateway stays unready until it has read Vault once, and serves
  # what it read, so the first pods already know every plan, tenant and key (later changes reach running gateways
  # within config-poll-ms). The tenants module configures its own provider, which rules out depends_on on
  # module.tenants itself, not on this module.
  depends_on = [module.tenants]
}
