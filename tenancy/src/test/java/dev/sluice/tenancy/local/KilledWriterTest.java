package dev.sluice.tenancy.local;

import dev.sluice.tenancy.TenantId;
import dev.sluice.tenancy.TenantUid;
import dev.sluice.tenancy.auth.KeyMetadata;
import dev.sluice.tenancy.plan.LimitOverrides;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A writer process killed with SIGKILL in the middle of its writes: every write it reported as returned is there
 * after reopening, and the directory opens (a torn last record is dropped, never half applied).
 */
class KilledWriterTest {
    @TempDir
    Path dir;

    /** The process under test: issues keys in a loop, printing each key id once {@code issue} has returned. */
    public static final class Writer {
        public static void main(String[] args) {
            LocalTenancy stores = LocalTenancy.open(Path.of(args[0]), InstantSource.system(), 64 << 10);
            TenantUid acme = stores.tenants().put(TenantId.of("acme"), Optional.empty(), LimitOverrides.none())
                    .tenant().uid();
            System.out.println("tenant " + acme.value());
            System.out.flush();
            for (int i = 0; ; i++) {
                KeyMetadata key = stores.keys().issue(acme, "k" + i, Optional.empty()).metadata();
                System.out.println("key " + key.id());
                System.out.flush();
            }
        }
    }

    @Test
    void everyWriteThatReturnedBeforeSigkillSurvivesIt() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process writer = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), Writer.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> returned = new ArrayList<>();
        String tenant;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(writer.getInputStream(),
                StandardCharsets.UTF_8))) {
            tenant = out.readLine();
            assertTrue(tenant != null && tenant.startsWith("tenant "), String.valueOf(tenant));
            // Enough writes that snapshots (every 64 KiB of journal) run in the background meanwhile.
            for (String line; returned.size() < 1500 && (line = out.readLine()) != null; ) {
                returned.add(line.substring("key ".length()));
            }
            writer.destroyForcibly(); // SIGKILL, mid-write
            writer.waitFor(30, TimeUnit.SECONDS);
        }
        assertEquals(1500, returned.size(), "the writer got going");

        LocalTenancy reopened = LocalTenancy.open(dir, InstantSource.system(), Long.MAX_VALUE);
        try {
            TenantUid acme = TenantUid.of(tenant.substring("tenant ".length()));
            List<KeyMetadata> keys = reopened.keys().list(acme);
            Set<String> stored = keys.stream().map(KeyMetadata::id).collect(Collectors.toSet());
            assertTrue(stored.containsAll(returned), "every returned key survives");
            // The writer kept going after the last line read: what it wrote is a gapless prefix of its writes.
            for (int i = 0; i < keys.size(); i++) {
                assertEquals("k" + i, keys.get(i).name(), "write " + i + " of " + keys.size());
            }
        } finally {
            reopened.abandon();
        }
    }
}
