package dev.sluice.tenancy.auth;

import dev.sluice.tenancy.TenancyException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdminCredentialsTest {
    static final Pattern TOKEN_SHAPE = Pattern.compile("sa_[A-Za-z0-9_-]{43}");

    @TempDir
    Path dir;
    final List<String> announced = new ArrayList<>();

    AdminCredentials load(Optional<String> env) {
        return AdminCredentials.load(dir, env, announced::add);
    }

    @Test
    void tokenFromTheEnvironmentVerifiesAndNothingIsWrittenOrAnnounced() throws IOException {
        AdminCredentials credentials = load(Optional.of("operator-chosen-token"));

        assertTrue(credentials.verify("operator-chosen-token"));
        assertFalse(credentials.verify("operator-chosen-tokeN"));
        assertTrue(announced.isEmpty());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void blankEnvironmentTokenIsRefused() {
        TenancyException.InvalidInput e = assertThrows(TenancyException.InvalidInput.class,
                () -> load(Optional.of("  ")));

        assertTrue(e.getMessage().startsWith("admin-token: "), e.getMessage());
    }

    @Test
    void firstStartGeneratesAnnouncesAndStoresTheTokenOwnerOnly() throws IOException {
        AdminCredentials credentials = load(Optional.empty());

        assertEquals(1, announced.size());
        String token = announced.getFirst();
        assertTrue(TOKEN_SHAPE.matcher(token).matches(), token);
        assertTrue(credentials.verify(token));
        Path tokenFile = dir.resolve("admin-token");
        assertEquals(token, Files.readString(tokenFile).strip());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        String hash = Files.readString(dir.resolve("admin-token.sha256")).strip();
        assertTrue(hash.matches("[0-9a-f]{64}"), hash);
        assertFalse(hash.contains(token.substring(3)));
    }

    @Test
    void laterStartGeneratesNothingAndStillAcceptsTheFirstToken() throws IOException {
        load(Optional.empty());
        String token = announced.getFirst();
        String hashBefore = Files.readString(dir.resolve("admin-token.sha256"));

        AdminCredentials second = load(Optional.empty());

        assertEquals(1, announced.size(), "announced once");
        assertTrue(second.verify(token));
        assertEquals(hashBefore, Files.readString(dir.resolve("admin-token.sha256")));
    }

    @Test
    void environmentTokenWinsOverTheStoredOne() {
        load(Optional.empty());
        String generated = announced.getFirst();

        AdminCredentials fromEnv = load(Optional.of("env-token"));

        assertTrue(fromEnv.verify("env-token"));
        assertFalse(fromEnv.verify(generated));
    }

    @Test
    void wrongEmptyAndNullTokensAreRejected() {
        AdminCredentials credentials = load(Optional.empty());
        String token = announced.getFirst();

        assertFalse(credentials.verify(token + "x"));
        assertFalse(credentials.verify(token.substring(0, token.length() - 1)));
        assertFalse(credentials.verify(""));
        assertFalse(credentials.verify(null));
        assertFalse(credentials.toString().contains(token));
    }

    @Test
    void damagedHashFileFailsNamingTheFile() throws IOException {
        Files.writeString(dir.resolve("admin-token.sha256"), "not a hash\n");

        TenancyException.StorageFailure failure = assertThrows(TenancyException.StorageFailure.class,
                () -> load(Optional.empty()));

        assertTrue(failure.getMessage().contains("admin-token.sha256"), failure.getMessage());
        assertTrue(announced.isEmpty(), "no new token replaces a damaged one silently");
    }
}
