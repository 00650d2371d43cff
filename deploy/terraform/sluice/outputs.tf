output "gateway_url" {
  description = "Where the tenant and admin API answers: the Service's in-cluster DNS name (ClusterIP), or the load balancer's address (LoadBalancer)."
  value = var.gateway_service_type == "LoadBalancer" ? format("http://%s",
    coalesce(kubernetes_service_v1.gateway.status[0].load_balancer[0].ingress[0].hostname, kubernetes_service_v1.gateway.status[0].load_balancer[0].ingress[0].ip)
  ) : "http://${kubernetes_service_v1.gateway.metadata[0].name}.${local.namespace}.svc"
}

output "admin_token" {
  description = "The admin API's token (Authorization: Bearer ...): read it with terraform output -raw admin_token."
  value       = random_password.admin_token.result
  sensitive   = true
}

output "namespace" {
  description = "The namespace Sluice runs in."
  value       = local.namespace
}

output "service_account" {
  description = "The service account Sluice's pods run as (bound by the Vault Kubernetes auth role)."
  value       = kubernetes_service_account_v1.sluice.metadata[0].name
}

output "vault_role" {
  description = "The Vault Kubernetes auth role Sluice logs in as."
  value       = vault_kubernetes_auth_backend_role.sluice.role_name
}

output "vault_policy" {
  description = "The name of the Vault policy that role grants."
  value       = vault_policy.sluice.name
}
