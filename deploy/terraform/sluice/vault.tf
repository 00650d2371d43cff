# Sluice's access to Vault: the policy docs/vault.md gives ("The policy Sluice needs") for this mount and prefix,
# and the Kubernetes auth role that gives it to the service account sluice in this namespace. Sluice logs in with
# vault-auth = kubernetes (sluice.conf) and renews its token itself. What Sluice reads there (plans, tenants, keys,
# config) is written by the tenants module, with a token allowed to write it; this policy cannot.

resource "vault_policy" "sluice" {
  name   = var.vault_policy_name
  policy = local.vault_policy
}

# Optional: the auth method itself, for a Vault that has none yet. Usually the platform's (create_vault_auth_backend
# = false): then only the role below is written.
resource "vault_auth_backend" "kubernetes" {
  count = var.create_vault_auth_backend ? 1 : 0
  type  = "kubernetes"
  path  = var.vault_auth_path
}

resource "vault_kubernetes_auth_backend_config" "kubernetes" {
  count           = var.create_vault_auth_backend ? 1 : 0
  backend         = vault_auth_backend.kubernetes[0].path
  kubernetes_host = var.vault_kubernetes_host
}

resource "vault_kubernetes_auth_backend_role" "sluice" {
  backend                          = var.create_vault_auth_backend ? vault_auth_backend.kubernetes[0].path : var.vault_auth_path
  role_name                        = var.vault_role
  bound_service_account_names      = [kubernetes_service_account_v1.sluice.metadata[0].name]
  bound_service_account_namespaces = [local.namespace]
  token_policies                   = [vault_policy.sluice.name]
  token_ttl                        = var.vault_token_ttl
  audience                         = var.vault_role_audience

  depends_on = [vault_kubernetes_auth_backend_config.kubernetes]
}
