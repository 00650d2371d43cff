variable "kubeconfig_path" {
  description = "The kubeconfig file Terraform reaches the cluster with."
  type        = string
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  description = "The kubeconfig context to use; null: the file's current context."
  type        = string
  default     = null
}

variable "redis_uri" {
  description = "The Redis Sluice shares between gateways and workers (redis:// or rediss://, with its password)."
  type        = string
  sensitive   = true
}

variable "vault_address" {
  description = "Vault as Sluice's pods reach it (may differ from the VAULT_ADDR Terraform uses from outside)."
  type        = string
  default     = "http://vault.vault.svc:8200"
}

variable "vault_mount" {
  description = "The KV version 2 mount holding Sluice's tree: written by the tenants module, read by Sluice."
  type        = string
  default     = "secret"
}

variable "vault_prefix" {
  description = "The folder under the mount holding Sluice's tree."
  type        = string
  default     = "sluice"
}

variable "gateway_service_type" {
  description = "ClusterIP (behind your ingress) or LoadBalancer."
  type        = string
  default     = "ClusterIP"
}
