package dev.sluice.config.vault;

import dev.sluice.config.VaultConfig;
import dev.sluice.config.testing.VaultTestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the Vault client tests set up the same way: a {@link VaultTestServer} on the fixture's clock for each test, and
 * every session (or other resource) a test opens closed after it, before the server.
 */
abstract class VaultServerCase {
    final VaultFixture f = new VaultFixture();
    VaultTestServer vault;
    private final List<AutoCloseable> open = new ArrayList<>();
    @TempDir
    Path dir;

    @BeforeEach
    final void startVault() {
        vault = VaultTestServer.start(f.clock);
    }

    @AfterEach
    final void stopVault() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        vault.close();
    }

    /** Closes {@code c} after the test, before the server. */
    final <T extends AutoCloseable> T closeAfter(T c) {
        open.add(c);
        return c;
    }

    /** A session without the background renewer (see {@link VaultFixture#tokenSession}), closed after the test. */
    final DriverSession tokenSession() {
        return closeAfter(f.tokenSession(vault, dir));
    }

    final DriverSession session(VaultConfig config, Map<String, String> env) {
        return closeAfter(DriverSession.open(config, env, f.clock, false));
    }

    /** An AppRole session (role-1/secret-1, the secret id from the environment) whose logins live {@code ttl}. */
    final DriverSession approle(Duration ttl, long timeoutMs) {
        vault.addAppRole("role-1", "secret-1");
        vault.loginTtl(ttl);
        Path roleId = VaultFixture.write(dir.resolve("role-id"), "role-1\n");
        return session(VaultFixture.config(vault.address(), "approle", "", roleId.toString(), "", "", "/none", "",
                timeoutMs), Map.of("SLUICE_VAULT_SECRET_ID", "secret-1"));
    }
}
