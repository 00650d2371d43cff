# Providers of the Sluice module. The kubernetes provider writes the distributed overlay's objects
# (deploy/kubernetes/distributed), the vault provider Sluice's policy and Kubernetes auth role, the random provider
# the secrets Sluice's processes share. Their configuration (cluster, Vault address and token) is the caller's: a
# module does not configure providers (see ../examples/complete).
terraform {
  required_version = ">= 1.3" # optional() object attributes with defaults

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.25, < 4" # *_v1 resources, kubernetes_horizontal_pod_autoscaler_v2, kubernetes_manifest
    }
    vault = {
      source  = "hashicorp/vault"
      version = ">= 3.12" # vault_kubernetes_auth_backend_role with bound_service_account_namespaces
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5" # random_bytes
    }
  }
}
