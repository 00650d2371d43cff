package dev.sluice.gateway;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.config.SluiceConfig;
import io.helidon.webclient.http2.Http2Client;
import io.helidon.webclient.http2.Http2ClientProtocolConfig;
import io.helidon.webclient.http2.Http2ClientResponse;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's internal port bounds what a peer can hold before (or without) showing the secret: streams per h2
 * connection, connections, requests, idle and silent connections. Wall-clock waits are generous upper bounds for a
 * loaded machine; the limits themselves are small so the test is quick when the machine is not.
 */
class WorkerConnectionLimitsTest {
    private static final String SECRET = RemoteDispatchTest.SECRET;
    private static final int CLIENT_WAIT_MS = 30_000;

    @TempDir
    Path dir;

    private WorkerRole worker;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() {
        sockets.forEach(s -> {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a test's own socket
            }
        });
        if (worker != null) {
            worker.stop();
        }
    }

    private WorkerRole start(WorkerRole.ConnectionLimits limits) {
        WorkerRole.Builder builder = WorkerRole.builder().config(SluiceConfig.defaults().with(Map.of(
                        "worker-port", "0", "data-dir", dir.resolve("w").toString(), "workers", "2",
                        "worker-max-concurrency", "3", "worker-module-dir", dir.resolve("modules").toString())))
                .environment(Map.of("SLUICE_WORKER_SECRET", SECRET));
        if (limits != null) {
            builder.limits(limits);
        }
        worker = builder.start();
        return worker;
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", worker.port());
        socket.setSoTimeout(CLIENT_WAIT_MS);
        sockets.add(socket);
        return socket;
    }

    /** Reads until the worker closes the connection; fails if it is still open after the client's wait. */
    private static void assertClosedByTheWorker(Socket socket, String what) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[4096];
        try {
            while (in.read(buffer) >= 0) {
                // whatever the worker answered before closing
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError(what + ": still open after " + CLIENT_WAIT_MS + " ms", e);
        } catch (IOException reset) {
            // a reset is a close too
        }
    }

    private int authenticatedHealthOverH2() {
        Http2Client client = Http2Client.builder().baseUri("http://127.0.0.1:" + worker.port())
                .shareConnectionCache(false)
                .readTimeout(Duration.ofMillis(CLIENT_WAIT_MS))
                .protocolConfig(Http2ClientProtocolConfig.builder().priorKnowledge(true).build()).build();
        try (Http2ClientResponse response = client.get("/internal/v1/health")
                .header(io.helidon.http.HeaderNames.create("Sluice-Worker-Secret"), SECRET).request()) {
            return response.status().code();
        } finally {
            client.closeResource();
        }
    }

    @Test
    void theWorkerAdvertisesAStreamLimitOfItsConcurrencyPlusHeadroomNotHelidonsDefault() throws Exception {
        start(null);
        Socket socket = connect();
        // h2c prior knowledge: the preface and an empty SETTINGS frame, no secret.
        socket.getOutputStream().write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(US_ASCII));
        socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
        socket.getOutputStream().flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        long maxStreams = -1;
        for (int frame = 0; frame < 8 && maxStreams < 0; frame++) {
            int length = (in.readUnsignedByte() << 16) | in.readUnsignedShort();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            in.readInt(); // stream id
            byte[] payload = in.readNBytes(length);
            if (type == 4 && (flags & 1) == 0) {
                for (int i = 0; i + 6 <= length; i += 6) {
                    int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
                    long value = ((payload[i + 2] & 0xffL) << 24) | ((payload[i + 3] & 0xffL) << 16)
                            | ((payload[i + 4] & 0xffL) << 8) | (payload[i + 5] & 0xffL);
                    if (id == 3) { // SETTINGS_MAX_CONCURRENT_STREAMS
                        maxStreams = value;
                    }
                }
            }
        }
        assertEquals(3 + WorkerRole.ConnectionLimits.STREAM_HEADROOM, maxStreams,
                "SETTINGS_MAX_CONCURRENT_STREAMS: worker-max-concurrency + headroom");
    }

    @Test
    void silentAndUnauthenticatedConnectionsAreCappedAndDroppedWhileAnAuthenticatedCallGetsThrough()
            throws Exception {
        start(new WorkerRole.ConnectionLimits(4, 8, 16, Duration.ofMillis(500), Duration.ofMillis(100),
                Duration.ofMillis(500)));
        // Two peers that connect and never send a byte, two that send an unauthenticated request and keep the
        // connection: the cap of 4 is full.
        List<Socket> silent = List.of(connect(), connect());
        List<Socket> refused = List.of(connect(), connect());
        for (Socket socket : refused) {
            socket.getOutputStream().write(("GET /internal/v1/health HTTP/1.1\r\nHost: w\r\n\r\n").getBytes(US_ASCII));
            socket.getOutputStream().flush();
            byte[] head = socket.getInputStream().readNBytes(12);
            assertEquals("HTTP/1.1 401", new String(head, US_ASCII), "refused without the secret");
        }
        // None of them holds its slot: the silent ones by the read timeout, the idle ones by the idle timeout.
        for (Socket socket : silent) {
            assertClosedByTheWorker(socket, "a connection that never sent a request");
        }
        for (Socket socket : refused) {
            assertClosedByTheWorker(socket, "an idle unauthenticated connection");
        }
        // The gateway still gets in, over h2c with the secret.
        assertEquals(200, authenticatedHealthOverH2());
        assertEquals(0, worker.started(), "nothing was admitted");
    }

    @Test
    void aFloodOfSilentConnectionsBeyondTheCapDelaysButDoesNotLockOutTheGateway() throws Exception {
        start(new WorkerRole.ConnectionLimits(4, 8, 16, Duration.ofMillis(500), Duration.ofMillis(100),
                Duration.ofMillis(500)));
        List<Socket> flood = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            flood.add(connect()); // past the cap they wait in the backlog, and are dropped in turn once accepted
        }
        assertEquals(200, authenticatedHealthOverH2());
        for (Socket socket : flood) {
            assertClosedByTheWorker(socket, "a silent connection of the flood");
        }
    }

    @Test
    void anUnauthenticatedInvokeIsRefusedBeforeItsBodyIsRead() throws Exception {
        start(null);
        Socket socket = connect();
        // Announces 2 MB (under the worker's payload cap) and sends none of it: the 401 must not wait for the body.
        socket.getOutputStream().write(("POST /internal/v1/invoke HTTP/1.1\r\nHost: w\r\n"
                + "Content-Type: application/vnd.sluice.invocation\r\nContent-Length: 2000000\r\n\r\n")
                .getBytes(US_ASCII));
        socket.getOutputStream().flush();
        byte[] head = socket.getInputStream().readNBytes(12);
        assertEquals("HTTP/1.1 401", new String(head, US_ASCII));
        assertTrue(worker.started() == 0, "nothing was admitted");
    }
}
