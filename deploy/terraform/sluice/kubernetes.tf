# The distributed overlay's objects (deploy/kubernetes/distributed), declared for Terraform: gateways serve the
# tenant and admin API on 8080 and send invocations to workers on their internal port 8090, found through the
# headless Service sluice-worker (worker-discovery = dns). Redis and Vault are the provider's, reached by address.

resource "kubernetes_namespace_v1" "sluice" {
  count = var.create_namespace ? 1 : 0

  metadata {
    name = var.namespace
  }
}

# Vault's Kubernetes auth role binds this account (vault.tf): Sluice logs in with its token, mounted at the default
# path (/var/run/secrets/kubernetes.io/serviceaccount/token).
resource "kubernetes_service_account_v1" "sluice" {
  metadata {
    name      = "sluice"
    namespace = local.namespace
    labels    = local.labels
  }
  # No token in a pod unless its spec asks for one: only the gateways log in to Vault with it.
  automount_service_account_token = false
}

resource "kubernetes_config_map_v1" "gateway" {
  metadata {
    name      = "sluice-gateway-config"
    namespace = local.namespace
    labels    = local.labels
  }
  data = {
    "sluice.conf" = local.gateway_conf
  }
}

resource "kubernetes_config_map_v1" "worker" {
  metadata {
    name      = "sluice-worker-config"
    namespace = local.namespace
    labels    = local.labels
  }
  data = {
    "sluice.conf" = local.worker_conf
  }
}

# The secrets Sluice's processes share. Their values are in Terraform's state: keep the state encrypted and
# access-controlled like Vault itself (README.md). Rotate one with terraform apply -replace=random_password.<name>,
# then restart the Deployments.
resource "random_password" "admin_token" {
  length  = 48
  special = false
}

# At least 32 characters (Sluice's worker-secret minimum); gateways present it to workers in a header.
resource "random_password" "worker_secret" {
  length  = 48
  special = false
}

# The key of function secrets kept in the data directory: 32 random bytes in base64 (Sluice's SLUICE_SECRETS_KEY).
resource "random_bytes" "secrets_key" {
  length = 32
}

resource "kubernetes_secret_v1" "sluice" {
  metadata {
    name      = "sluice-secrets"
    namespace = local.namespace
    labels    = local.labels
  }
  type = "Opaque"
  data = {
    "admin-token"   = random_password.admin_token.result
    "worker-secret" = random_password.worker_secret.result
    "secrets-key"   = random_bytes.secrets_key.base64
    "redis-uri"     = var.redis_uri
  }
}

# The Deployments are kubernetes_manifest rather than kubernetes_deployment_v1: the typed resource has no
# lifecycle.preStop.sleep (hashicorp/terraform-provider-kubernetes#2837, open), and the image has no shell to run
# `sleep` in. kubernetes_manifest applies the object as written (server-side apply); it needs the cluster reachable
# at plan time. No replicas: the HorizontalPodAutoscaler owns the count (an apply would otherwise reset it).
# The annotation sluice.dev/config-sha256 rolls the pods when their sluice.conf changes (Sluice reads it at start):
# what the overlay's hashed ConfigMap names do for kustomize.
resource "kubernetes_manifest" "gateway" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {
      name      = "sluice-gateway"
      namespace = local.namespace
      labels    = local.gateway_labels
    }
    spec = {
      revisionHistoryLimit = 5
      strategy = {
        type = "RollingUpdate"
        rollingUpdate = {
          maxSurge       = "25%"
          maxUnavailable = 0
        }
      }
      selector = {
        matchLabels = local.gateway_selector
      }
      template = {
        metadata = {
          labels      = local.gateway_labels
          annotations = merge(local.scrape_annotations, { "sluice.dev/config-sha256" = sha256(local.gateway_conf) })
        }
        spec = {
          serviceAccountName = kubernetes_service_account_v1.sluice.metadata[0].name
          # The gateways log in to Vault with this token (vault-auth = kubernetes).
          automountServiceAccountToken = true
          # No SLUICE_* variables made from the Services' names: SLUICE_* is Sluice's.
          enableServiceLinks            = false
          securityContext               = local.pod_security_context
          terminationGracePeriodSeconds = local.termination_grace_period_seconds
          topologySpreadConstraints = [
            {
              maxSkew           = 1
              topologyKey       = "kubernetes.io/hostname"
              whenUnsatisfiable = "ScheduleAnyway"
              labelSelector     = { matchLabels = local.gateway_selector }
            }
          ]
          containers = [
            {
              name            = "sluice"
              image           = local.image
              imagePullPolicy = "IfNotPresent"
              args            = ["gateway"]
              ports = [
                { name = "http", containerPort = 8080, protocol = "TCP" },
                { name = "metrics", containerPort = 9464, protocol = "TCP" },
              ]
              env = [
                { name = "SLUICE_ADMIN_TOKEN", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "admin-token" } } },
                { name = "SLUICE_WORKER_SECRET", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "worker-secret" } } },
                { name = "SLUICE_SECRETS_KEY", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "secrets-key" } } },
                { name = "SLUICE_REDIS_URI", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "redis-uri" } } },
              ]
              resources = var.gateway_resources
              
              startupProbe = {
                httpGet          = { path = "/health", port = "http" }
                periodSeconds    = 2
                failureThreshold = 60
              }
              livenessProbe = {
                httpGet          = { path = "/health", port = "http" }
                periodSeconds    = 10
                timeoutSeconds   = 2
                failureThreshold = 3
              }
              readinessProbe = {
                httpGet          = { path = "/health/ready", port = "http" }
                periodSeconds    = 5
                timeoutSeconds   = 2
                failureThreshold = 1
              }
              lifecycle = {
                preStop = {
                  sleep = { seconds = var.prestop_sleep_seconds }
                }
              }
              securityContext = local.container_security_context
              volumeMounts = [
                { name = "data", mountPath = "/var/lib/sluice" },
                { name = "tmp", mountPath = "/tmp" },
                { name = "config", mountPath = "/etc/sluice", readOnly = true },
              ]
            }
          ]
          volumes = [
            { name = "data", emptyDir = { sizeLimit = "1Gi" } },
            { name = "tmp", emptyDir = { sizeLimit = "1Gi" } },
            { name = "config", configMap = { name = kubernetes_config_map_v1.gateway.metadata[0].name } },
          ]
        }
      }
    }
  }

  wait {
    rollout = true
  }
}

resource "kubernetes_manifest" "worker" {
  manifest = {
    apiVersion = "apps/v1"
    kind       = "Deployment"
    metadata = {
      name      = "sluice-worker"
      namespace = local.namespace
      labels    = local.worker_labels
    }
    spec = {
      revisionHistoryLimit = 5
      strategy = {
        type = "RollingUpdate"
        rollingUpdate = {
          maxSurge       = "25%"
          maxUnavailable = 0
        }
      }
      selector = {
        matchLabels = local.worker_selector
      }
      template = {
        metadata = {
          labels      = local.worker_labels
          annotations = merge(local.scrape_annotations, { "sluice.dev/config-sha256" = sha256(local.worker_conf) })
        }
        spec = {
          serviceAccountName = kubernetes_service_account_v1.sluice.metadata[0].name
          # Workers do not talk to Vault: no token in their pods.
          automountServiceAccountToken = false
          # No SLUICE_* variables made from the Services' names: SLUICE_* is Sluice's.
          enableServiceLinks            = false
          securityContext               = local.pod_security_context
          terminationGracePeriodSeconds = local.termination_grace_period_seconds
          topologySpreadConstraints = [
            {
              maxSkew           = 1
              topologyKey       = "kubernetes.io/hostname"
              whenUnsatisfiable = "ScheduleAnyway"
              labelSelector     = { matchLabels = local.worker_selector }
            }
          ]
          containers = [
            {
              name            = "sluice"
              image           = local.image
              imagePullPolicy = "IfNotPresent"
              args            = ["worker"]
              ports = [
                { name = "internal", containerPort = 8090, protocol = "TCP" },
                { name = "metrics", containerPort = 9464, protocol = "TCP" },
              ]
              env = [
                { name = "SLUICE_WORKER_SECRET", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "worker-secret" } } },
                { name = "SLUICE_REDIS_URI", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "redis-uri" } } },
              ]
              resources = var.worker_resources
              # A worker's probes go to its management listener (its other port is the internal h2c one).
              startupProbe = {
                httpGet          = { path = "/health", port = "metrics" }
                periodSeconds    = 2
                failureThreshold = 60
              }
              livenessProbe = {
                httpGet          = { path = "/health", port = "metrics" }
                periodSeconds    = 10
                timeoutSeconds   = 2
                failureThreshold = 3
              }
              readinessProbe = {
                httpGet          = { path = "/health/ready", port = "metrics" }
                periodSeconds    = 5
                timeoutSeconds   = 2
                failureThreshold = 1
              }
              lifecycle = {
                preStop = {
                  sleep = { seconds = var.prestop_sleep_seconds }
                }
              }
              securityContext = local.container_security_context
              volumeMounts = [
                { name = "data", mountPath = "/var/lib/sluice" },
                { name = "tmp", mountPath = "/tmp" },
                { name = "config", mountPath = "/etc/sluice", readOnly = true },
              ]
            }
          ]
          volumes = [
            { name = "data", emptyDir = { sizeLimit = "2Gi" } },
            { name = "tmp", emptyDir = { sizeLimit = "1Gi" } },
            { name = "config", configMap = { name = kubernetes_config_map_v1.worker.metadata[0].name } },
          ]
        }
      }
    }
  }

  wait {
    rollout = true
  }
}

resource "kubernetes_service_v1" "gateway" {
  metadata {
    name      = "sluice-gateway"
    namespace = local.namespace
    labels    = local.gateway_labels
  }
  spec {
    type     = var.gateway_service_type
    selector = local.gateway_selector
    port {
      name        = "http"
      port        = 80
      target_port = "http"
      protocol    = "TCP"
    }
  }
  # With LoadBalancer, wait for the address (the gateway_url output).
  wait_for_load_balancer = var.gateway_service_type == "LoadBalancer"
}

# Headless: its DNS name resolves to every ready worker's address (worker-discovery = dns). Not-ready workers are not
# published, so a starting or draining worker gets no new calls.
resource "kubernetes_service_v1" "worker" {
  metadata {
    name      = "sluice-worker"
    namespace = local.namespace
    labels    = local.worker_labels
  }
  spec {
    cluster_ip                  = "None"
    publish_not_ready_addresses = false
    selector                    = local.worker_selector
    port {
      name        = "internal"
      port        = 8090
      target_port = "internal"
      protocol    = "TCP"
    }
  }
}

# Custom metrics (Pods type) come from Prometheus through prometheus-adapter; deploy/kubernetes ships its rules.
resource "kubernetes_horizontal_pod_autoscaler_v2" "gateway" {
  metadata {
    name      = "sluice-gateway"
    namespace = local.namespace
    labels    = local.gateway_labels
  }
  spec {
    min_replicas = var.gateway_replicas.min
    max_replicas = var.gateway_replicas.max
    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_manifest.gateway.manifest.metadata.name
    }
    # Scale down one step at a time, after five quiet minutes: a worker or gateway drains before it goes.
    behavior {
      scale_down {
        stabilization_window_seconds = 300
        policy {
          type           = "Pods"
          value          = 1
          period_seconds = 60
        }
      }
    }
    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = 70
        }
      }
    }
    metric {
      type = "Pods"
      pods {
        metric {
          name = "sluice_http_requests_per_second"
        }
        target {
          type          = "AverageValue"
          average_value = "200"
        }
      }
    }
  }
}

resource "kubernetes_horizontal_pod_autoscaler_v2" "worker" {
  metadata {
    name      = "sluice-worker"
    namespace = local.namespace
    labels    = local.worker_labels
  }
  spec {
    min_replicas = var.worker_replicas.min
    max_replicas = var.worker_replicas.max
    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_manifest.worker.manifest.metadata.name
    }
    # Scale down one step at a time, after five quiet minutes: a worker or gateway drains before it goes.
    behavior {
      scale_down {
        stabilization_window_seconds = 300
        policy {
          type           = "Pods"
          value          = 2
          period_seconds = 60
        }
      }
    }
    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = 75
        }
      }
    }
    metric {
      type = "Pods"
      pods {
        metric {
          name = "sluice_worker_queued"
        }
        target {
          type          = "AverageValue"
          average_value = "2"
        }
      }
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "gateway" {
  metadata {
    name      = "sluice-gateway"
    namespace = local.namespace
    labels    = local.gateway_labels
  }
  spec {
    min_available = "1"
    selector {
      match_labels = local.gateway_selector
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "worker" {
  metadata {
    name      = "sluice-worker"
    namespace = local.namespace
    labels    = local.worker_labels
  }
  spec {
    max_unavailable = "1"
    selector {
      match_labels = local.worker_selector
    }
  }
}

# Ingress to Sluice's pods. Policies add up: a pod selected by several accepts what any of them allows, and nothing
# else. Egress is not restricted (gateways and workers reach Redis, gateways reach Vault and the workers).

# Workers' internal port: gateway pods of this namespace only (the worker secret is the second lock).
resource "kubernetes_network_policy_v1" "worker_internal" {
  metadata {
    name      = "sluice-worker-internal"
    namespace = local.namespace
    labels    = local.labels
  }
  spec {
    pod_selector {
      match_labels = local.worker_selector
    }
    policy_types = ["Ingress"]
    ingress {
      from {
        pod_selector {
          match_labels = local.gateway_selector
        }
      }
      ports {
        protocol = "TCP"
        port     = "internal"
      }
    }
  }
}

# The management port of every Sluice pod (/metrics without a token): the monitoring namespace only.
resource "kubernetes_network_policy_v1" "metrics" {
  metadata {
    name      = "sluice-metrics"
    namespace = local.namespace
    labels    = local.labels
  }
  spec {
    pod_selector {
      match_labels = {
        "app.kubernetes.io/name" = "sluice"
      }
    }
    policy_types = ["Ingress"]
    ingress {
      from {
        namespace_selector {
          match_labels = {
            "kubernetes.io/metadata.name" = var.monitoring_namespace
          }
        }
      }
      ports {
        protocol = "TCP"
        port     = "metrics"
      }
    }
  }
}

# The gateways' HTTP port: from anywhere (tenants, the ingress controller, the load balancer).
resource "kubernetes_network_policy_v1" "gateway_http" {
  metadata {
    name      = "sluice-gateway-http"
    namespace = local.namespace
    labels    = local.labels
  }
  spec {
    pod_selector {
      match_labels = local.gateway_selector
    }
    policy_types = ["Ingress"]
    ingress {
      ports {
        protocol = "TCP"
        port     = "http"
      }
    }
  }
}
