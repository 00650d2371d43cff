package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A graceful stop lets an answer that is still being written reach its client: the work is done, but the drain
 * also waits for the answer before the listener closes (Helidon gives a connection only its short shutdown grace,
 * then cuts it). The race made deterministic: an answer far larger than the socket buffers, to a client that reads
 * nothing until the stop has begun.
 */
class StopWaitsForAnswersTest {
    /** Far above what loopback socket buffers hold (a few MiB): writing it blocks until the client reads. */
    private static final int ANSWER_BYTES = 12 << 20;

    @TempDir
    Path dir;

    @Test
    void aStopWaitsUntilTheAnswerToASlowReaderIsWritten() throws Exception {
        TestServer server = TestServer.start(dir, Map.of("max-request-bytes", Integer.toString(2 * ANSWER_BYTES),
                "max-stdout-bytes", Integer.toString(2 * ANSWER_BYTES), "shutdown-grace-ms", "60000"));
        CompletableFuture<Void> stopping = null;
        try (Socket socket = new Socket()) {
            String key = server.tenantWithKey("acme", "{}");
            assertEquals(201, server.deploy(key, "echo", TestModules.load("echo")).status());
            socket.setReceiveBufferSize(4096);
            socket.connect(new InetSocketAddress("127.0.0.1", server.sluice.port()), 5_000);
            socket.setSoTimeout(60_000);
            byte[] body = new byte[ANSWER_BYTES];
            Arrays.fill(body, (byte) 'x');
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/functions/echo/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            // The first bytes of the answer: the call is done, and the rest of the answer is being written.
            byte[] first = in.readNBytes(12);
            assertEquals("HTTP/1.1 200", new String(first, StandardCharsets.ISO_8859_1));

            stopping = CompletableFuture.runAsync(server::close);
            // Longer than Helidon's own grace for a closing connection (0.5 s): a stop that did not wait for the
            // answer would have cut it by now.
            CompletableFuture<Void> stop = stopping;
            assertThrows(TimeoutException.class, () -> stop.get(3, TimeUnit.SECONDS),
                    "the stop waits while the answer is being written");

            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            in.transferTo(rest);
            String answer = rest.toString(StandardCharsets.ISO_8859_1);
            int headersEnd = answer.indexOf("\r\n\r\n");
            assertTrue(headersEnd > 0, "headers came");
            assertEquals(ANSWER_BYTES, answer.length() - headersEnd - 4, "the whole answer came");
            assertEquals(ANSWER_BYTES, answer.chars().skip(headersEnd + 4L).filter(c -> c == 'x').count());
        } finally {
            if (stopping == null) {
                server.close();
            } else {
                stopping.get(60, TimeUnit.SECONDS);
            }
        }
        assertEquals(0, server.sluice.inFlight());
    }
}
