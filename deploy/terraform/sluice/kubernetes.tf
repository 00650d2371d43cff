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
}

resource "kubernetes_config_map_v1" "gateway" {
  metadata {
    name      = "sluice-gateway-config"
    namespace = local.namespace
    labels    = local.gateway_labels
  }
  data = {
    "sluice.conf" = local.gateway_conf
  }
}

resource "kubernetes_config_map_v1" "worker" {
  metadata {
    name      = "sluice-worker-config"
    namespace = local.namespace
    labels    = local.worker_labels
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
# at plan time. replicas is left out: the HorizontalPodAutoscaler owns it.
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
      selector = {
        matchLabels = local.gateway_selector
      }
      template = {
        metadata = {
          labels = local.gateway_labels
          annotations = {
            # A changed sluice.conf rolls the pods: Sluice reads its file once, at start.
            "sluice.dev/config-sha256" = sha256(local.gateway_conf)
          }
        }
        spec = {
          serviceAccountName            = kubernetes_service_account_v1.sluice.metadata[0].name
          terminationGracePeriodSeconds = local.termination_grace_period_seconds
          securityContext = {
            runAsNonRoot = true
            runAsUser    = 10001
            runAsGroup   = 10001
            fsGroup      = 10001
            seccompProfile = {
              type = "RuntimeDefault"
            }
          }
          containers = [
            {
              name  = "sluice"
              image = local.image
              args  = ["gateway"]
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
                failureThreshold = 2
              }
              lifecycle = {
                preStop = {
                  sleep = { seconds = var.prestop_sleep_seconds }
                }
              }
              securityContext = {
                allowPrivilegeEscalation = false
                readOnlyRootFilesystem   = true
                runAsNonRoot             = true
                capabilities = {
                  drop = ["ALL"]
                }
              }
              volumeMounts = [
                { name = "config", mountPath = "/etc/sluice", readOnly = true },
                { name = "data", mountPath = "/var/lib/sluice" },
                { name = "tmp", mountPath = "/tmp" },
              ]
            }
          ]
          volumes = [
            { name = "config", configMap = { name = kubernetes_config_map_v1.gateway.metadata[0].name } },
            { name = "data", emptyDir = {} },
            { name = "tmp", emptyDir = {} },
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
      selector = {
        matchLabels = local.worker_selector
      }
      template = {
        metadata = {
          labels = local.worker_labels
          annotations = {
            "sluice.dev/config-sha256" = sha256(local.worker_conf)
          }
        }
        spec = {
          serviceAccountName            = kubernetes_service_account_v1.sluice.metadata[0].name
          terminationGracePeriodSeconds = local.termination_grace_period_seconds
          securityContext = {
            runAsNonRoot = true
            runAsUser    = 10001
            runAsGroup   = 10001
            fsGroup      = 10001
            seccompProfile = {
              type = "RuntimeDefault"
            }
          }
          containers = [
            {
              name  = "sluice"
              image = local.image
              args  = ["worker"]
              ports = [
                { name = "internal", containerPort = 8090, protocol = "TCP" },
                { name = "metrics", containerPort = 9464, protocol = "TCP" },
              ]
              env = [
                { name = "SLUICE_WORKER_SECRET", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "worker-secret" } } },
                { name = "SLUICE_REDIS_URI", valueFrom = { secretKeyRef = { name = kubernetes_secret_v1.sluice.metadata[0].name, key = "redis-uri" } } },
              ]
              resources = var.worker_resources
              # A worker's only HTTP listener besides its internal port is the management one: probes go there.
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
                failureThreshold = 2
              }
              lifecycle = {
                preStop = {
                  sleep = { seconds = var.prestop_sleep_seconds }
                }
              }
              securityContext = {
                allowPrivilegeEscalation = false
                readOnlyRootFilesystem   = true
                runAsNonRoot             = true
                capabilities = {
                  drop = ["ALL"]
                }
              }
              volumeMounts = [
                { name = "config", mountPath = "/etc/sluice", readOnly = true },
                { name = "data", mountPath = "/var/lib/sluice" },
                { name = "tmp", mountPath = "/tmp" },
              ]
            }
          ]
          volumes = [
            { name = "config", configMap = { name = kubernetes_config_map_v1.worker.metadata[0].name } },
            { name = "data", emptyDir = {} },
            { name = "tmp", emptyDir = {} },
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

# Workers accept their internal port only from gateways; every pod's management port (metrics) only from the
# monitoring namespace; gateways accept 8080 from anywhere.
resource "kubernetes_network_policy_v1" "sluice" {
  metadata {
    name      = "sluice"
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
      ports {
        port     = "8090"
        protocol = "TCP"
      }
      from {
        pod_selector {
          match_labels = local.gateway_selector
        }
      }
    }
    ingress {
      ports {
        port     = "9464"
        protocol = "TCP"
      }
      from {
        namespace_selector {
          match_labels = {
            "kubernetes.io/metadata.name" = var.monitoring_namespace
          }
        }
      }
    }
    ingress {
      ports {
        port     = "8080"
        protocol = "TCP"
      }
    }
  }
}
