# What a provider chooses. With every default the module declares the same objects as the kustomize overlay
# deploy/kubernetes/distributed (names, labels, ports, probes, env, sluice.conf text): the deploy module's
# TerraformSluiceModuleTest evaluates these files for the defaults and compares them with `kubectl kustomize`.
# Where Sluice would refuse a value at start, a validation refuses it at `terraform plan` instead.

variable "namespace" {
  description = "The Kubernetes namespace of every object (the overlays' `namespace: sluice`)."
  type        = string
  default     = "sluice"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace: a DNS label (1 to 63 of a-z, 0-9 and '-', starting and ending with a letter or digit)."
  }
}

variable "create_namespace" {
  description = "Create the namespace (true), or use one that exists (false: a namespace made by the platform team)."
  type        = bool
  default     = true
}

variable "image" {
  description = "The Sluice image: repository and tag (the project version; pin a digest-backed tag in production)."
  type = object({
    repository = string
    tag        = string
  })
  default = {
    repository = "ghcr.io/sluice-dev/sluice"
    tag        = "0.1.0-SNAPSHOT"
  }

  validation {
    condition     = can(regex("^[a-z0-9]+([._/:-][a-z0-9]+)*$", var.image.repository)) && can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image.tag))
    error_message = "image: repository is an image name such as ghcr.io/sluice-dev/sluice (lowercase); tag is 1 to 128 of A-Z, a-z, 0-9, '_', '.', '-'."
  }
}

variable "gateway_replicas" {
  description = "The gateway HorizontalPodAutoscaler's bounds (spec: 2 to 10). Two or more keep the gateway up through a node drain."
  type = object({
    min = number
    max = number
  })
  default = {
    min = 2
    max = 10
  }

  validation {
    condition     = var.gateway_replicas.min >= 1 && var.gateway_replicas.max >= var.gateway_replicas.min && floor(var.gateway_replicas.min) == var.gateway_replicas.min && floor(var.gateway_replicas.max) == var.gateway_replicas.max
    error_message = "gateway_replicas: whole numbers with 1 <= min <= max."
  }
}

variable "worker_replicas" {
  description = "The worker HorizontalPodAutoscaler's bounds (spec: 2 to 20)."
  type = object({
    min = number
    max = number
  })
  default = {
    min = 2
    max = 20
  }

  validation {
    condition     = var.worker_replicas.min >= 1 && var.worker_replicas.max >= var.worker_replicas.min && floor(var.worker_replicas.min) == var.worker_replicas.min && floor(var.worker_replicas.max) == var.worker_replicas.max
    error_message = "worker_replicas: whole numbers with 1 <= min <= max."
  }
}

variable "gateway_resources" {
  description = "The gateway container's requests and limits (Kubernetes quantities by resource name). The JVM sizes its heap from the memory limit (-XX:MaxRAMPercentage=75); the CPU request is what the HPA's utilization is measured against."
  type = object({
    requests = map(string)
    limits   = map(string)
  })
  default = {
    requests = { cpu = "500m", memory = "512Mi" }
    limits   = { cpu = "2", memory = "1Gi" }
  }

  validation {
    condition     = contains(keys(var.gateway_resources.requests), "cpu") && contains(keys(var.gateway_resources.limits), "memory")
    error_message = "gateway_resources: requests.cpu (the HPA's CPU target is a share of it) and limits.memory (the JVM's heap is sized from it) are required."
  }
}

variable "worker_resources" {
  description = "The worker container's requests and limits (Kubernetes quantities by resource name)."
  type = object({
    requests = map(string)
    limits   = map(string)
  })
  default = {
    requests = { cpu = "1", memory = "1Gi" }
    limits   = { cpu = "2", memory = "2Gi" }
  }

  validation {
    condition     = contains(keys(var.worker_resources.requests), "cpu") && contains(keys(var.worker_resources.limits), "memory")
    error_message = "worker_resources: requests.cpu (the HPA's CPU target is a share of it) and limits.memory (the JVM's heap is sized from it) are required."
  }
}

variable "redis_uri" {
  description = "The Redis every gateway and worker shares (tenancy and quota), e.g. rediss://:password@redis.example:6380. Stored in the Secret sluice-secrets (key redis-uri, env SLUICE_REDIS_URI), never in a ConfigMap."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^(redis|rediss|redis-sentinel|rediss-sentinel)://.+$", var.redis_uri))
    error_message = "redis_uri: redis://host:port, rediss://... for TLS, or redis-sentinel:// / rediss-sentinel://... (Sluice's redis-uri)."
  }
}

variable "vault_address" {
  description = "Vault as the pods reach it (Sluice's vault-address), http(s)://host:port without credentials."
  type        = string
  default     = "http://vault.vault.svc:8200"

  validation {
    condition     = can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]+)?/?$", var.vault_address))
    error_message = "vault_address: http(s)://host:port, without credentials or path (Sluice's vault-address)."
  }
}

variable "vault_mount" {
  description = "The KV version 2 mount Sluice reads (Sluice's vault-mount); the tenants module's `mount`."
  type        = string
  default     = "secret"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.vault_mount))
    error_message = "vault_mount: a mount path such as secret (segments of A-Z, a-z, 0-9, '.', '_', '-')."
  }
}

variable "vault_prefix" {
  description = "The folder under the mount that holds Sluice's tree (Sluice's vault-prefix); the tenants module's `prefix`."
  type        = string
  default     = "sluice"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.vault_prefix))
    error_message = "vault_prefix: a folder such as sluice (segments of A-Z, a-z, 0-9, '.', '_', '-')."
  }
}

variable "vault_auth_path" {
  description = "Where Vault's Kubernetes auth method is mounted (Sluice's vault-auth-mount; Vault's default: kubernetes)."
  type        = string
  default     = "kubernetes"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$", var.vault_auth_path))
    error_message = "vault_auth_path: a mount path such as kubernetes."
  }
}

variable "vault_role" {
  description = "The Vault Kubernetes auth role Sluice logs in as (Sluice's vault-kubernetes-role)."
  type        = string
  default     = "sluice"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]+$", var.vault_role))
    error_message = "vault_role: a role name (A-Z, a-z, 0-9, '.', '_', '-')."
  }
}

variable "vault_policy_name" {
  description = "The name of the Vault policy the module writes (docs/vault.md, \"The policy Sluice needs\")."
  type        = string
  default     = "sluice"
}

variable "vault_token_ttl" {
  description = "Seconds a Vault token from the Kubernetes login lives (Sluice renews it, and logs in again when renewal is refused)."
  type        = number
  default     = 3600

  validation {
    condition     = var.vault_token_ttl >= 60 && floor(var.vault_token_ttl) == var.vault_token_ttl
    error_message = "vault_token_ttl: whole seconds, at least 60."
  }
}

variable "create_vault_auth_backend" {
  description = "Enable Vault's Kubernetes auth method at vault_auth_path and configure it (true), or bind the role in one that exists (false: usually the platform's)."
  type        = bool
  default     = false
}

variable "vault_kubernetes_host" {
  description = "With create_vault_auth_backend: the API server address Vault validates service-account tokens with. The default suits a Vault running in the same cluster (it then uses its own service account's token and CA)."
  type        = string
  default     = "https://kubernetes.default.svc:443"
}

variable "gateway_service_type" {
  description = "The Service sluice-gateway's type: ClusterIP (reach it through your ingress) or LoadBalancer (the cloud's load balancer in front of port 80)."
  type        = string
  default     = "ClusterIP"

  validation {
    condition     = contains(["ClusterIP", "LoadBalancer"], var.gateway_service_type)
    error_message = "gateway_service_type: ClusterIP or LoadBalancer."
  }
}

variable "shutdown_grace_ms" {
  description = "How long a stopping gateway or worker lets in-flight calls finish (Sluice's shutdown-grace-ms). The pods' terminationGracePeriodSeconds is derived from it: preStop sleep + this + 1 s quiet + 4 s margin."
  type        = number
  default     = 20000

  validation {
    condition     = var.shutdown_grace_ms >= 0 && var.shutdown_grace_ms <= 3600000 && floor(var.shutdown_grace_ms) == var.shutdown_grace_ms
    error_message = "shutdown_grace_ms: whole milliseconds in 0..3600000 (Sluice's range for shutdown-grace-ms)."
  }
}

variable "prestop_sleep_seconds" {
  description = "Seconds a terminating pod keeps serving before SIGTERM, so endpoints and kube-proxy stop sending it traffic first (lifecycle.preStop.sleep, Kubernetes >= 1.30)."
  type        = number
  default     = 5

  validation {
    condition     = var.prestop_sleep_seconds >= 1 && var.prestop_sleep_seconds <= 60 && floor(var.prestop_sleep_seconds) == var.prestop_sleep_seconds
    error_message = "prestop_sleep_seconds: whole seconds in 1..60."
  }
}

variable "monitoring_namespace" {
  description = "The namespace whose pods (Prometheus) may scrape port 9464 (metrics) on every Sluice pod; the NetworkPolicy selects it by its kubernetes.io/metadata.name label."
  type        = string
  default     = "monitoring"
}

variable "gateway_extra_config" {
  description = "More sluice.conf lines for the gateways (key = value, one a line, e.g. \"log-level = debug\\n\"), appended to the module's. Sluice refuses, at start, an unknown key and a key set twice (so none of the module's keys)."
  type        = string
  default     = ""
}

variable "worker_extra_config" {
  description = "More sluice.conf lines for the workers (e.g. \"workers = 8\\n\"), appended to the module's."
  type        = string
  default     = ""
}

variable "vault_role_audience" {
  description = "The audience the role requires of the service-account token (Vault warns without one). Sluice presents the pod's default token, whose audience is the API server's (often https://kubernetes.default.svc.cluster.local); null: not checked."
  type        = string
  default     = null
}
