package dev.sluice.scheduler.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The static list's parsing, and the DNS directory over a resolver the test controls. */
class DirectoriesTest {
    @Test
    void theStaticListParsesHostPortPairsWithTheirAuthorityAsId() {
        StaticWorkerDirectory directory = StaticWorkerDirectory.parse(" 127.0.0.1:8090, [::1]:8091 ,worker-3:80", 16);
        assertEquals(List.of(new WorkerAddress("127.0.0.1:8090", "127.0.0.1", 8090, 16),
                new WorkerAddress("[::1]:8091", "::1", 8091, 16),
                new WorkerAddress("worker-3:80", "worker-3", 80, 16)), directory.workers());
    }

    @Test
    void aBadStaticListIsRefusedNamingTheKeyAndTheEntry() {
        for (String bad : List.of("", "host", "host:0", "host:x", ":80", "::1:80", "a:1,a:1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> StaticWorkerDirectory.parse(bad, 4), bad);
            assertTrue(e.getMessage().startsWith("worker-addresses: "), e.getMessage());
        }
    }

    @Test
    void theDnsDirectoryListsOneWorkerPerRecordAndFollowsChanges() throws Exception {
        AtomicReference<List<InetAddress>> records = new AtomicReference<>(List.of(ip("10.0.0.2"), ip("10.0.0.1")));
        DnsWorkerDirectory directory = DnsWorkerDirectory.builder("workers.sluice.svc", 8090, 12)
                .resolver(name -> {
                    assertEquals("workers.sluice.svc", name);
                    return records.get();
                })
                .manualRefresh()
                .build();
        assertEquals(List.of(new WorkerAddress("10.0.0.1:8090", "10.0.0.1", 8090, 12),
                new WorkerAddress("10.0.0.2:8090", "10.0.0.2", 8090, 12)), directory.workers());

        List<WorkerAddress> before = directory.workers();
        records.set(List.of(ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.1")));
        directory.refresh();
        assertSame(before, directory.workers(), "the same records in another order are no change");

        records.set(List.of(ip("10.0.0.3"), ip("10.0.0.1")));
        directory.refresh();
        assertEquals(List.of("10.0.0.1:8090", "10.0.0.3:8090"),
                directory.workers().stream().map(WorkerAddress::id).toList());
        directory.close();
    }

    @Test
    void aFailedLookupKeepsTheLastList() throws Exception {
        AtomicReference<List<InetAddress>> records = new AtomicReference<>(List.of(ip("10.0.0.1")));
        DnsWorkerDirectory directory = DnsWorkerDirectory.builder("workers", 8090, 4)
                .resolver(name -> {
                    List<InetAddress> answer = records.get();
                    if (answer == null) {
                        throw new UnknownHostException(name + ": temporary failure in name resolution");
                    }
                    return answer;
                })
                .manualRefresh()
                .build();
        records.set(null);
        directory.refresh();
        assertEquals(List.of("10.0.0.1:8090"), directory.workers().stream().map(WorkerAddress::id).toList());
    }

    @Test
    void aBadDnsSettingFailsAtBuildNamingTheKey() {
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
                () -> DnsWorkerDirectory.builder(" ", 8090, 4));
        assertTrue(blank.getMessage().startsWith("worker-dns-name: "), blank.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DnsWorkerDirectory.builder("w", 0, 4));
    }

    private static InetAddress ip(String literal) throws UnknownHostException {
        return InetAddress.getByName(literal); // a literal: no lookup
    }
}
