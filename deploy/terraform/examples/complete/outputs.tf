output "gateway_url" {
  description = "Where the tenant and admin API answers."
  value       = module.sluice.gateway_url
}

output "admin_token" {
  description = "The admin API's token: terraform output -raw admin_token."
  value       = module.sluice.admin_token
  sensitive   = true
}

output "namespace" {
  description = "The namespace Sluice runs in."
  value       = module.sluice.namespace
}

output "api_keys" {
  description = "Each tenant's API keys by \"<tenant>/<key name>\": hand them out once (terraform output -json api_keys)."
  value       = module.tenants.api_keys
  sensitive   = true
}

output "key_ids" {
  description = "Each key's id (no secret)."
  value       = module.tenants.key_ids
}
