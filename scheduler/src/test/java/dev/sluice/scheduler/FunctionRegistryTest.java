package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import dev.sluice.scheduler.SchedulerException.ModuleRejected.Reason;
import dev.sluice.scheduler.SchedulerException.StorageFailure;
import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FunctionRegistryTest {
    private static final Instant NOW = Instant.parse("2030-01-02T03:04:05Z");
    private static final SchedulerSettings SETTINGS = new SchedulerSettings(2, 1, 4, 1 << 20, 64 << 10, 8L << 20);

    @TempDir
    Path dataDir;

    private LocalScheduler scheduler;

    private LocalScheduler open() {
        scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(NOW));
        return scheduler;
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    private static DeployRequest request(String tenant, String name, byte[] module) {
        return new DeployRequest(tenant, FunctionName.of(name), module, 16, 1_000, 1 << 20, 1_000_000);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private List<Path> storedModules() throws IOException {
        Path modules = dataDir.resolve("modules");
        if (!Files.isDirectory(modules)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(modules)) {
            return files.toList();
        }
    }

    @Test
    void deployReportsDigestAndSizeAndSurvivesReopen() throws Exception {
        byte[] hello = TestModules.load("hello");
        var deployment = open().functions().deploy(request("acme", "greet", hello));

        FunctionSpec spec = deployment.spec();
        assertTrue(deployment.created());
        assertEquals("sha256:" + sha256(hello), spec.digest());
        assertEquals(hello.length, spec.size());
        assertEquals(NOW, spec.deployedAt());
        assertTrue(Files.exists(dataDir.resolve("modules/" + sha256(hello) + ".wasm")));

        scheduler.close();
        LocalScheduler reopened = open();
        assertEquals(List.of(spec), reopened.functions().list("acme"));
        var result = reopened.dispatcher().invoke(spec,
                new InvocationRequest(new byte[0], List.of("greet"), Map.of("QUERY_STRING", "x=1")));
        assertEquals("Content-Type: text/plain\n\nhello x=1\n", new String(result.stdout(), StandardCharsets.UTF_8));
    }

    @Test
    void redeployReplacesTheFunctionAndReportsItWasNotCreated() {
        var functions = open().functions();
        functions.deploy(request("acme", "f", TestModules.load("hello")));
        var second = functions.deploy(request("acme", "f", TestModules.load("plain")));

        assertFalse(second.created());
        assertEquals(List.of(second.spec()), functions.list("acme"));
    }

    @Test
    void functionsWithTheSameModuleShareOneCompilationAndOneFile() throws IOException {
        var functions = open().functions();
        var a = functions.deploy(request("acme", "a", TestModules.load("plain"))).spec();
        var before = scheduler.modules().find(a.digest()).orElseThrow();
        functions.deploy(request("globex", "b", TestModules.load("plain")));

        assertSame(before, scheduler.modules().find(a.digest()).orElseThrow());
        assertEquals(1, storedModules().size());
    }

    @Test
    void moduleOverTheSizeLimitIsRejectedAsTooLarge() throws IOException {
        byte[] hello = TestModules.load("hello");
        var request = new DeployRequest("acme", FunctionName.of("f"), hello, 16, 1_000, hello.length - 1, 1_000_000);

        var e = assertThrows(ModuleRejected.class, () -> open().functions().deploy(request));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertNothingStored();
    }

    @Test
    void garbageBytesAreRejectedAsMalformed() throws IOException {
        byte[] garbage = "this is not wasm at all".getBytes(StandardCharsets.UTF_8);
        var e = assertThrows(ModuleRejected.class, () -> open().functions().deploy(request("acme", "f", garbage)));
        assertEquals(Reason.MALFORMED, e.reason());
        assertNothingStored();
    }

    @Test
    void truncatedModuleIsRejectedAsMalformed() throws IOException {
        byte[] hello = TestModules.load("hello");
        byte[] truncated = Arrays.copyOf(hello, hello.length / 2);
        var e = assertThrows(ModuleRejected.class, () -> open().functions().deploy(request("acme", "f", truncated)));
        assertEquals(Reason.MALFORMED, e.reason());
        assertNothingStored();
    }

    @Test
    void importOutsideWasiIsRejectedNamingTheImport() throws IOException {
        var e = assertThrows(ModuleRejected.class,
                () -> open().functions().deploy(request("acme", "f", TestModules.load("bad-import"))));
        assertEquals(Reason.FORBIDDEN_IMPORT, e.reason());
        assertTrue(e.getMessage().contains("env.danger"), e.getMessage());
        assertNothingStored();
    }

    @Test
    void unknownWasiFunctionIsRejectedNamingTheImport() throws IOException {
        var e = assertThrows(ModuleRejected.class,
                () -> open().functions().deploy(request("acme", "f", TestModules.load("unknown-wasi"))));
        assertEquals(Reason.FORBIDDEN_IMPORT, e.reason());
        assertTrue(e.getMessage().contains("wasi_snapshot_preview1.not_a_function"), e.getMessage());
        assertNothingStored();
    }

    @Test
    void moduleWithoutStartIsRejectedAsMalformed() throws IOException {
        var e = assertThrows(ModuleRejected.class,
                () -> open().functions().deploy(request("acme", "f", TestModules.load("no-start"))));
        assertEquals(Reason.MALFORMED, e.reason());
        assertTrue(e.getMessage().contains("_start"), e.getMessage());
        assertNothingStored();
    }

    @Test
    void initialMemoryOverTheCapIsRejectedAsTooMuchMemory() throws IOException {
        var e = assertThrows(ModuleRejected.class,
                () -> open().functions().deploy(request("acme", "f", TestModules.load("huge-memory"))));
        assertEquals(Reason.TOO_MUCH_MEMORY, e.reason());
        assertNothingStored();
    }

    @Test
    void deleteRemovesTheModuleFileOnlyWhenNoFunctionUsesIt() throws Exception {
        var functions = open().functions();
        byte[] plain = TestModules.load("plain");
        functions.deploy(request("acme", "a", plain));
        functions.deploy(request("acme", "b", plain));
        Path file = dataDir.resolve("modules/" + sha256(plain) + ".wasm");

        assertTrue(functions.delete("acme", FunctionName.of("a")));
        assertTrue(Files.exists(file), "still used by b");
        assertTrue(functions.delete("acme", FunctionName.of("b")));
        assertFalse(Files.exists(file));
        assertFalse(functions.delete("acme", FunctionName.of("b")));
        assertTrue(scheduler.modules().find("sha256:" + sha256(plain)).isEmpty());
    }

    @Test
    void corruptIndexIsReportedNamingTheFile() throws IOException {
        Files.writeString(dataDir.resolve("functions.json"), "{ not json");

        var e = assertThrows(StorageFailure.class, this::open);
        assertTrue(e.getMessage().contains(dataDir.resolve("functions.json").toString()), e.getMessage());
    }

    @Test
    void tamperedModuleFileIsReportedAtTheFirstCallNamingTheFile() throws Exception {
        byte[] plain = TestModules.load("plain");
        open().functions().deploy(request("acme", "a", plain));
        scheduler.close();
        Path file = dataDir.resolve("modules/" + sha256(plain) + ".wasm");
        Files.write(file, TestModules.load("hello"));

        // The start reads the index only; the module file is read, and found wanting, at the first call.
        var reopened = open();
        var e = assertThrows(StorageFailure.class, () -> reopened.dispatcher().invoke(
                reopened.functions().find("acme", FunctionName.of("a")).orElseThrow(),
                new InvocationRequest(new byte[0], List.of(), Map.of())));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void missingModuleFileIsReportedAtTheFirstCallNamingTheFile() throws Exception {
        byte[] plain = TestModules.load("plain");
        open().functions().deploy(request("acme", "a", plain));
        scheduler.close();
        Path file = dataDir.resolve("modules/" + sha256(plain) + ".wasm");
        Files.delete(file);

        // The start reads the index only; the module file is read, and found wanting, at the first call.
        var reopened = open();
        var e = assertThrows(StorageFailure.class, () -> reopened.dispatcher().invoke(
                reopened.functions().find("acme", FunctionName.of("a")).orElseThrow(),
                new InvocationRequest(new byte[0], List.of(), Map.of())));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    private void assertNothingStored() throws IOException {
        assertEquals(List.of(), storedModules());
        assertEquals(List.of(), scheduler.functions().list("acme"));
        assertFalse(Files.exists(dataDir.resolve("functions.json")));
    }
}
