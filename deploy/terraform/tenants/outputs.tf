output "api_keys" {
  description = "Each API key as its tenant presents it, by \"<tenant>/<key name>\". Read once (terraform output -json api_keys) and hand each to its tenant; Sluice and Vault hold only its SHA-256."
  sensitive   = true
  # The shape without checksum, which Sluice accepts: the sluice_sk_v2_ shape ends in a CRC32 that Terraform cannot compute.
  value = { for k, _ in local.keys : k => "sluice_sk_${random_id.key[k].hex}_${local.key_secrets[k]}" }
}

output "key_ids" {
  description = "Each key's id, by \"<tenant>/<key name>\" (no secret: what the admin API and Vault paths show)."
  value       = { for k, _ in local.keys : k => random_id.key[k].hex }
}
