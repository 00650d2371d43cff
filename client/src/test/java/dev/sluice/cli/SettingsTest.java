package dev.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
    @TempDir
    Path home;

    private Path profile(String text, String mode) throws IOException {
        Path file = home.resolve("config/sluice/profile");
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    private Settings settings(Map<String, String> env, Optional<String> profile) {
        var all = new java.util.HashMap<>(env);
        all.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        return new Settings(all, profile, home.toString());
    }

    @Test
    void variablesWinOverTheDefaultProfileAndTheURLHasADefault() throws IOException {
        profile("key=from-file\nadmin-token=file-token\n", "rw-------");
        Settings settings = settings(Map.of("SLUICE_KEY", "from-env"), Optional.empty());
        assertEquals("from-env", settings.key());
        assertEquals("file-token", settings.adminToken());
        assertEquals("http://127.0.0.1:8080", settings.url().toString());
    }

    @Test
    void aNamedProfileWinsOverTheVariables() throws IOException {
        profile("""
                # default
                url=http://a:1
                [staging]
                url=http://b:2
                key=staging-key
                """, "rw-------");
        Settings settings = settings(Map.of("SLUICE_KEY", "env-key"), Optional.of("staging"));
        assertEquals("http://b:2", settings.url().toString());
        assertEquals("staging-key", settings.key());
        assertEquals("http://a:1", settings(Map.of(), Optional.empty()).url().toString());
    }

    @Test
    void aProfileOthersMayReadIsRefusedNamingTheFile() throws IOException {
        Path file = profile("key=secret-value\n", "rw-r--r--");
        ConfigError e = assertThrows(ConfigError.class, () -> settings(Map.of(), Optional.empty()).key());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("0644"), e.getMessage());
        assertFalse(e.getMessage().contains("secret-value"));
    }

    @Test
    void missingCredentialsNameTheVariable() {
        assertTrue(assertThrows(ConfigError.class, () -> settings(Map.of(), Optional.empty()).key()).getMessage()
                .contains("SLUICE_KEY"));
        assertTrue(assertThrows(ConfigError.class, () -> settings(Map.of(), Optional.empty()).adminToken())
                .getMessage().contains("SLUICE_ADMIN_TOKEN"));
    }

    @Test
    void aBadLineIsNamedByNumberNotEchoed() throws IOException {
        profile("url=http://a:1\nsluice_sk_v2_oops\n", "rw-------");
        ConfigError e = assertThrows(ConfigError.class, () -> settings(Map.of(), Optional.empty()).key());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertFalse(e.getMessage().contains("oops"), e.getMessage());
    }

    @Test
    void anUnknownSectionAndABadURLAreConfigErrors() throws IOException {
        profile("key=k\n", "rw-------");
        assertTrue(assertThrows(ConfigError.class, () -> settings(Map.of(), Optional.of("prod")).key()).getMessage()
                .contains("no section [prod]"));
        ConfigError e = assertThrows(ConfigError.class,
                () -> settings(Map.of("SLUICE_URL", "ftp://u:pw@x"), Optional.empty()).url());
        assertTrue(e.getMessage().contains("SLUICE_URL") && !e.getMessage().contains("pw"), e.getMessage());
    }
}
