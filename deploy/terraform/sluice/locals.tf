locals {
  # Labels as the kustomize overlays set them: every object is part of sluice; pods, Services and the objects
  # about one role carry its component. Selectors use name + component only.
  labels = {
    "app.kubernetes.io/name"    = "sluice"
    "app.kubernetes.io/part-of" = "sluice"
  }
  gateway_selector = {
    "app.kubernetes.io/name"      = "sluice"
    "app.kubernetes.io/component" = "gateway"
  }
  worker_selector = {
    "app.kubernetes.io/name"      = "sluice"
    "app.kubernetes.io/component" = "worker"
  }
  gateway_labels = merge(local.labels, { "app.kubernetes.io/component" = "gateway" })
  worker_labels  = merge(local.labels, { "app.kubernetes.io/component" = "worker" })

  pod_security_context = {
    runAsNonRoot = true
    runAsUser    = 10001
    runAsGroup   = 10001
    fsGroup      = 10001
    seccompProfile = {
      type = "RuntimeDefault"
    }
  }
  container_security_context = {
    allowPrivilegeEscalation = false
    readOnlyRootFilesystem   = true
    runAsNonRoot             = true
    capabilities = {
      drop = ["ALL"]
    }
  }
  scrape_annotations = {
    "prometheus.io/scrape" = "true"
    "prometheus.io/port"   = "9464"
    "prometheus.io/path"   = "/metrics"
  }

  namespace = var.create_namespace ? kubernetes_namespace_v1.sluice[0].metadata[0].name : var.namespace
  image     = "${var.image.repository}:${var.image.tag}"

  # Drain: the preStop sleep, then SIGTERM: Sluice turns unready, lets calls finish within shutdown-grace-ms, keeps
  # its port 1 s more and exits. Kubernetes kills the pod after terminationGracePeriodSeconds, counted from the
  # start of preStop, so it covers all three and a margin (5 + 20 + 1 + 4 = 30 s for the defaults).
  termination_grace_period_seconds = var.prestop_sleep_seconds + ceil(var.shutdown_grace_ms / 1000) + 1 + 4

  # vault-mount, vault-prefix and vault-auth-mount only when they differ from Sluice's defaults, so the default
  # configuration is the overlay's text exactly.
  vault_location = "${var.vault_mount == "secret" ? "" : "vault-mount = ${var.vault_mount}\n"}${var.vault_prefix == "sluice" ? "" : "vault-prefix = ${var.vault_prefix}\n"}${var.vault_auth_path == "kubernetes" ? "" : "vault-auth-mount = ${var.vault_auth_path}\n"}"

  # The ConfigMaps' sluice.conf, mounted at /etc/sluice (replacing the image's file). Secrets are not here: they
  # come from the Secret sluice-secrets through the environment (SLUICE_REDIS_URI, SLUICE_WORKER_SECRET, ...).
  gateway_conf = "${local.gateway_conf_base}${local.vault_location}${var.gateway_extra_config}"
  worker_conf  = "${local.worker_conf_base}${var.worker_extra_config}"

  # The text is the overlay's (deploy/kubernetes/distributed/gateway.conf and worker.conf), comments included, so
  # the two can be compared whole; the values come from the variables.
  gateway_conf_base = <<-EOT
    # sluice gateway in a pod (docs/configuration.md). Mounted read-only at /etc/sluice/sluice.conf. Secrets come from
    # the environment (the Secret `sluice-secrets`): SLUICE_ADMIN_TOKEN, SLUICE_WORKER_SECRET, SLUICE_SECRETS_KEY and
    # SLUICE_REDIS_URI (Redis's address, with its password, is the provider's).
    host = 0.0.0.0
    port = 8080
    data-dir = /var/lib/sluice
    # The management listener, reached by Prometheus only (NetworkPolicy sluice-metrics).
    metrics-host = 0.0.0.0
    metrics-port = 9464
    # Tenants, keys, functions and quotas shared by every gateway and worker through Redis.
    tenancy-store = redis
    quota-store = redis
    # Workers are the A records of the headless Service sluice-worker (ready pods only).
    worker-discovery = dns
    worker-dns-name = sluice-worker
    worker-port = 8090
    # terminationGracePeriodSeconds (${local.termination_grace_period_seconds}) covers preStop (${var.prestop_sleep_seconds} s) + this + 1 s + a margin.
    shutdown-grace-ms = ${var.shutdown_grace_ms}
    # Configuration, plans, tenants, keys and function secrets from Vault, logged in with the pod's ServiceAccount token
    # (docs/vault.md). The provider's Vault binds the role ${var.vault_role} to the ServiceAccount sluice of this namespace.
    vault-address = ${var.vault_address}
    vault-auth = kubernetes
    vault-kubernetes-role = ${var.vault_role}
  EOT

  worker_conf_base = <<-EOT
    # sluice worker in a pod (docs/configuration.md). Mounted read-only at /etc/sluice/sluice.conf. From the environment
    # (the Secret `sluice-secrets`): SLUICE_WORKER_SECRET and SLUICE_REDIS_URI.
    # The internal (h2c) port the gateways call; only gateway pods reach it (NetworkPolicy sluice-worker-internal).
    worker-host = 0.0.0.0
    worker-port = 8090
    data-dir = /var/lib/sluice
    # The management listener: /metrics for Prometheus, /health and /health/ready for the kubelet's probes.
    metrics-host = 0.0.0.0
    metrics-port = 9464
    # Function metadata and module bytes come from Redis.
    tenancy-store = redis
    shutdown-grace-ms = ${var.shutdown_grace_ms}
  EOT

  # docs/vault.md, "The policy Sluice needs", for this mount and prefix: read its tree, write only function
  # secrets, keep its token alive. Plans, tenants, keys and config are Terraform's (the tenants module) to write.
  vault_policy = <<-EOT
    path "${var.vault_mount}/data/${var.vault_prefix}/*" {
      capabilities = ["read"]
    }

    path "${var.vault_mount}/metadata/${var.vault_prefix}/*" {
      capabilities = ["read", "list"]
    }

    path "${var.vault_mount}/data/${var.vault_prefix}/secrets/*" {
      capabilities = ["create", "read", "update", "delete"]
    }

    path "${var.vault_mount}/metadata/${var.vault_prefix}/secrets/*" {
      capabilities = ["read", "list", "delete"]
    }

    path "auth/token/lookup-self" {
      capabilities = ["read"]
    }

    path "auth/token/renew-self" {
      capabilities = ["update"]
    }
  EOT
}
