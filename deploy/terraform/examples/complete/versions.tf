# The whole stack on a cluster that already runs Redis and Vault: Sluice's tree in Vault (../../tenants) and Sluice
# itself (../../sluice), sharing the Vault mount and prefix.
terraform {
  required_version = ">= 1.3"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = ">= 2.25, < 4"
    }
    vault = {
      source  = "hashicorp/vault"
      version = ">= 3.12"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}

# The cluster from a kubeconfig. kubernetes_manifest (Sluice's Deployments) reads the cluster's API at plan time, so
# the cluster must exist before `terraform plan`: create it in another configuration.
provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kubeconfig_context
}

# Vault from VAULT_ADDR, VAULT_TOKEN (and VAULT_NAMESPACE), as the tenants module's own provider block reads them: both
# must talk to the same Vault, and a module with its own provider block cannot be handed another. The token needs
# to write Sluice's tree (<mount>/<prefix>/*), policies (sys/policies/acl/*) and auth roles (auth/<path>/role/*).
provider "vault" {}

provider "random" {}
