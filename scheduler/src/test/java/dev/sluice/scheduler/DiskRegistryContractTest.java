package dev.sluice.scheduler;

import dev.sluice.scheduler.shared.ModuleStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** The registry contract on the disk registry ({@code tenancy-store=file}). */
class DiskRegistryContractTest extends RegistryContract {
    @TempDir
    Path dataDir;

    @Override
    LocalScheduler open() {
        scheduler = LocalScheduler.open(SETTINGS, dataDir, InstantSource.fixed(NOW));
        return scheduler;
    }

    @Override
    ModuleStore modules() {
        return DiskModuleStore.open(dataDir);
    }

    @Override
    boolean storesNothing() throws Exception {
        Path modules = dataDir.resolve("modules");
        boolean noModules = true;
        if (Files.isDirectory(modules)) {
            try (Stream<Path> files = Files.list(modules)) {
                noModules = files.findAny().isEmpty();
            }
        }
        Path index = dataDir.resolve("functions.json");
        return noModules && (!Files.exists(index) || Files.readString(index).contains("\"functions\" : [ ]"));
    }

    @Override
    void storeRecordWithoutAssets(String tenant, String name) throws Exception {
        Files.writeString(dataDir.resolve("functions.json"), "{\"version\":1,\"functions\":[{\"tenant\":\""
                + tenant + "\",\"name\":\"" + name + "\",\"digest\":\"sha256:" + "ab".repeat(32)
                + "\",\"size\":10,\"memoryPages\":16,\"timeoutMs\":1000,\"deployedAt\":\"2030-01-01T00:00:00Z\"}]}");
    }
}
