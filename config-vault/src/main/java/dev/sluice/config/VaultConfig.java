package dev.sluice.config;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where Sluice finds Vault and how it logs in; without {@code vault-address} there is no Vault and the file is the
 * only source. These keys bootstrap the connection, so they come from the file (or code) only: Vault cannot redirect
 * Sluice to another Vault, and a change to them needs a restart. Credentials are never configuration values in clear:
 * the token, the AppRole ids and the Kubernetes service-account token are read from files or the environment.
 *
 * @param address         {@code http(s)://host:port} of Vault; empty: no Vault
 * @param mount           the KV version 2 mount Sluice reads ({@code secret})
 * @param prefix          the folder under the mount that holds Sluice's tree ({@code sluice}); see docs/vault.md
 * @param namespace       Vault Enterprise namespace; empty: none
 * @param auth            {@code token}, {@code approle} or {@code kubernetes}
 * @param tokenFile       file holding the token for {@code token} auth; empty: {@code $VAULT_TOKEN}
 * @param roleIdFile      file holding the AppRole role id; empty: {@code $SLUICE_VAULT_ROLE_ID}
 * @param secretIdFile    file holding the AppRole secret id; empty: {@code $SLUICE_VAULT_SECRET_ID}
 * @param authMount       where the auth method is mounted; empty: {@code approle} or {@code kubernetes}
 * @param kubernetesRole  the Vault role a Kubernetes service account logs in as
 * @param kubernetesJwtFile the service-account token file
 * @param timeoutMs       bound on each Vault call (connect and read)
 */
public record VaultConfig(String address, String mount, String prefix, String namespace, String auth, String tokenFile,
                          String roleIdFile, String secretIdFile, String authMount, String kubernetesRole,
                          String kubernetesJwtFile, long timeoutMs) {

    public static final String TOKEN_ENV = "VAULT_TOKEN";
    public static final String ROLE_ID_ENV = "SLUICE_VAULT_ROLE_ID";
    public static final String SECRET_ID_ENV = "SLUICE_VAULT_SECRET_ID";
    static final String DEFAULT_JWT_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    static final List<String> KEYS = List.of("vault-address", "vault-mount", "vault-prefix", "vault-namespace",
            "vault-auth", "vault-token-file", "vault-role-id-file", "vault-secret-id-file", "vault-auth-mount",
            "vault-kubernetes-role", "vault-kubernetes-jwt-file", "vault-timeout-ms");

    private static final String SEGMENT = "[A-Za-z0-9._-]+";

    /** The address for a message: never the user info (a password there must not reach the log). */
    private static String shown(String address, URI uri) {
        if (uri != null && uri.getRawUserInfo() == null && !address.contains("@")) {
            return address;
        }
        if (uri != null && uri.getScheme() != null && uri.getHost() != null) {
            return uri.getScheme() + "://<redacted>@" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
        }
        return address.contains("@") ? "<redacted>" : address;
    }

    public VaultConfig {
        if (address == null) {
            throw new ConfigException("vault-address: missing");
        }
        if (!address.isEmpty()) {
            URI uri;
            try {
                uri = URI.create(address);
            } catch (IllegalArgumentException e) {
                uri = null;
            }
            if (uri == null || !List.of("http", "https").contains(String.valueOf(uri.getScheme()))
                    || uri.getHost() == null || uri.getRawUserInfo() != null) {
                throw new ConfigException("vault-address: '" + shown(address, uri)
                        + "' (expected: http(s)://host:port, without credentials)");
            }
        }
        if (mount == null || !mount.matches(SEGMENT + "(/" + SEGMENT + ")*")) {
            throw new ConfigException("vault-mount: '" + mount + "' (expected: a mount path such as secret)");
        }
        if (prefix == null || !prefix.matches(SEGMENT + "(/" + SEGMENT + ")*")) {
            throw new ConfigException("vault-prefix: '" + prefix + "' (expected: a folder such as sluice)");
        }
        if (namespace == null || !namespace.matches("(" + SEGMENT + "(/" + SEGMENT + ")*)?")) {
            throw new ConfigException("vault-namespace: '" + namespace + "' (expected: empty or a namespace path)");
        }
        if (!List.of("token", "approle", "kubernetes").contains(auth)) {
            throw new ConfigException("vault-auth: '" + auth + "' (expected: token or approle or kubernetes)");
        }
        for (String[] file : new String[][] {{"vault-token-file", tokenFile}, {"vault-role-id-file", roleIdFile},
                {"vault-secret-id-file", secretIdFile}, {"vault-kubernetes-jwt-file", kubernetesJwtFile}}) {
            if (file[1] == null) {
                throw new ConfigException(file[0] + ": missing");
            }
        }
        if (authMount == null || !authMount.matches("(" + SEGMENT + "(/" + SEGMENT + ")*)?")) {
            throw new ConfigException("vault-auth-mount: '" + authMount + "' (expected: empty or a mount path)");
        }
        if (kubernetesRole == null) {
            throw new ConfigException("vault-kubernetes-role: missing");
        }
        if (!address.isEmpty() && auth.equals("kubernetes") && kubernetesRole.isBlank()) {
            throw new ConfigException("vault-kubernetes-role: empty (expected: the Vault role to log in as when "
                    + "vault-auth = kubernetes)");
        }
        if (timeoutMs < 50 || timeoutMs > 120_000) {
            throw new ConfigException("vault-timeout-ms: " + timeoutMs + " (expected: 50..120000)");
        }
    }

    /** Whether a Vault is configured at all. */
    public boolean enabled() {
        return !address.isEmpty();
    }

    /** The auth method's mount: {@code vault-auth-mount}, else the method's own name. */
    public String effectiveAuthMount() {
        return authMount.isEmpty() ? auth : authMount;
    }

    static VaultConfig from(Map<String, String> raw, String source) {
        String timeout = raw.get("vault-timeout-ms");
        return new VaultConfig(
                raw.getOrDefault("vault-address", "").strip(),
                raw.getOrDefault("vault-mount", "secret"),
                raw.getOrDefault("vault-prefix", "sluice"),
                raw.getOrDefault("vault-namespace", ""),
                raw.getOrDefault("vault-auth", "token"),
                raw.getOrDefault("vault-token-file", ""),
                raw.getOrDefault("vault-role-id-file", ""),
                raw.getOrDefault("vault-secret-id-file", ""),
                raw.getOrDefault("vault-auth-mount", ""),
                raw.getOrDefault("vault-kubernetes-role", ""),
                raw.getOrDefault("vault-kubernetes-jwt-file", DEFAULT_JWT_FILE),
                timeout == null ? 2_000 : SluiceConfig.parseLong(source, "vault-timeout-ms", timeout));
    }

    Map<String, String> asMap() {
        Map<String, String> map = new HashMap<>();
        map.put("vault-address", address);
        map.put("vault-mount", mount);
        map.put("vault-prefix", prefix);
        map.put("vault-namespace", namespace);
        map.put("vault-auth", auth);
        map.put("vault-token-file", tokenFile);
        map.put("vault-role-id-file", roleIdFile);
        map.put("vault-secret-id-file", secretIdFile);
        map.put("vault-auth-mount", authMount);
        map.put("vault-kubernetes-role", kubernetesRole);
        map.put("vault-kubernetes-jwt-file", kubernetesJwtFile);
        map.put("vault-timeout-ms", Long.toString(timeoutMs));
        return map;
    }
}
