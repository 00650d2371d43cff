package dev.sluice.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.TestServer.Reply;
import dev.sluice.scheduler.testing.TestModules;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code PUT/GET/DELETE /v1/functions/{name}/assets} over real HTTP, with hostile archives built byte by byte. */
class FunctionAssetsTest {
    private static final String TAR = "application/x-tar";
    private static final long MAX_BYTES = 1 << 20;

    @TempDir
    Path dataDir;
    TestServer server;
    String key;

    @BeforeEach
    void start() {
        server = TestServer.start(dataDir);
        key = server.tenantWithKey("acme", "{\"max-asset-bytes\": " + MAX_BYTES + ", \"max-asset-files\": 10}");
        assertEquals(201, server.deploy(key, "site", TestModules.load("hello")).status());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Reply put(String apiKey, String function, byte[] tar) {
        return server.call(apiKey, "PUT", "/v1/functions/" + function + "/assets", tar, TAR);
    }

    private Reply get(String apiKey, String function) {
        return server.call(apiKey, "GET", "/v1/functions/" + function + "/assets", null, null);
    }

    private static byte[] site() {
        return TestTars.create().dir("templates/").file("templates/index.html", "<h1>hi</h1>")
                .file("static/app.css", "body{}").bytes();
    }

    /** The directories under {@code <data-dir>/assets}: stored trees and, if a bug left one, temporary ones. */
    private Set<String> stored() throws IOException {
        Path root = dataDir.resolve("assets");
        if (!Files.isDirectory(root)) {
            return Set.of();
        }
        try (Stream<Path> children = Files.list(root)) {
            return children.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void anUploadedTreeIsDescribedStoredReadOnlyAndKeptAcrossARestart() throws IOException {
        Reply uploaded = put(key, "site", site());
        assertEquals(200, uploaded.status(), uploaded.toString());
        String digest = uploaded.json().get("digest").asText();
        assertTrue(digest.matches("sha256:[0-9a-f]{64}"), digest);
        assertEquals(4, uploaded.json().get("files").asLong(), "two files and two directories: " + uploaded);
        assertEquals(17, uploaded.json().get("bytes").asLong());
        assertEquals(uploaded.json(), get(key, "site").json());

        Path tree = dataDir.resolve("assets").resolve(digest.substring(7));
        assertEquals("<h1>hi</h1>", Files.readString(tree.resolve("templates/index.html")));
        assertEquals("r--r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tree.resolve("templates/index.html"))), "files are read-only");
        assertEquals("r-xr-xr-x", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(tree.resolve("templates"))), "directories too");
        assertEquals(Set.of(digest.substring(7)), stored());

        server.restart();
        assertEquals(uploaded.json(), get(key, "site").json(), "a restart keeps the assets");
        Reply redeployed = server.deploy(key, "site", TestModules.load("hello"));
        assertEquals(200, redeployed.status(), redeployed.toString());
        assertEquals(uploaded.json(), get(key, "site").json(), "a deploy keeps them too");
    }

    @Test
    void theSameFilesGiveTheSameDigestWhateverTheirTimesAndAreStoredOnce() throws IOException {
        assertEquals(201, server.deploy(key, "other", TestModules.load("hello")).status());
        Reply first = put(key, "site", site());
        byte[] reordered = TestTars.create().mtime(42).file("static/app.css", "body{}")
                .file("templates/index.html", "<h1>hi</h1>").dir("templates").bytes();
        Reply second = put(key, "other", reordered);
        assertEquals(200, second.status(), second.toString());
        assertEquals(first.json().get("digest"), second.json().get("digest"));
        assertEquals(1, stored().size(), "one directory for both functions: " + stored());

        assertEquals(204, server.call(key, "DELETE", "/v1/functions/site/assets", null, null).status());
        assertEquals(1, stored().size(), "still used by the other function");
        assertEquals(404, get(key, "site").status());
        assertEquals(204, server.call(key, "DELETE", "/v1/functions/other", null, null).status());
        assertEquals(Set.of(), stored(), "deleting the last function that used it deletes the tree");
    }

    @Test
    void anArchiveMadeWithTarDashCDotIsAcceptedAsIs() {
        // What `tar -cf site.tar -C site .` writes: the root as "./", every name under "./".
        byte[] tar = TestTars.create().dir("./").dir("./sub/").file("./sub/b.txt", "yo\n").file("./a.txt", "hi\n")
                .bytes();
        Reply reply = put(key, "site", tar);
        assertEquals(200, reply.status(), reply.toString());
        assertEquals(3, reply.json().get("files").asLong(), "sub/, sub/b.txt and a.txt: the root is not an entry");
        assertEquals(reply.json().get("digest"), put(key, "site", TestTars.create().file("a.txt", "hi\n")
                .file("sub/b.txt", "yo\n").bytes()).json().get("digest"), "the same tree without ./ prefixes");
    }

    @Test
    void replacingAssetsDeletesTheOldTree() throws IOException {
        put(key, "site", site());
        Reply replaced = put(key, "site", TestTars.create().file("a.txt", "a").bytes());
        assertEquals(200, replaced.status(), replaced.toString());
        assertEquals(Set.of(replaced.json().get("digest").asText().substring(7)), stored());
    }

    @Test
    void everyHostileArchiveIsRefusedWithItsReasonAndLeavesNothing() throws IOException {
        Reply kept = put(key, "site", site());
        Set<String> before = stored();
        byte[] gzip;
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(zipped)) {
            out.write(new byte[10 << 20]); // a gzip bomb: 10 MiB of zeros in a few KiB
        }
        gzip = zipped.toByteArray();
        String longComponent = "a".repeat(300);
        String longPath = ("d".repeat(200) + "/").repeat(6) + "f";
        TestTars eleven = TestTars.create();
        for (int i = 0; i < 11; i++) {
            eleven.file("f" + i, "x");
        }
        record Case(String what, byte[] tar, String reason) {}
        List<Case> cases = List.of(
                new Case("symlink", TestTars.create().special("link", '2', "/etc/passwd").bytes(), "forbidden-entry"),
                new Case("hard link", TestTars.create().file("a", "x").special("b", '1', "a").bytes(),
                        "forbidden-entry"),
                new Case("device", TestTars.create().special("null", '3', "").bytes(), "forbidden-entry"),
                new Case("fifo", TestTars.create().special("pipe", '6', "").bytes(), "forbidden-entry"),
                new Case("../x", TestTars.create().file("../x", "x").bytes(), "escapes-root"),
                new Case("a/../../x", TestTars.create().file("a/../../x", "x").bytes(), "escapes-root"),
                new Case("/abs", TestTars.create().file("/etc/cron.d/x", "x").bytes(), "escapes-root"),
                new Case("300-byte component", TestTars.create().file(longComponent, "x").bytes(), "path-too-long"),
                new Case("1207-byte path", TestTars.create().file(longPath, "x").bytes(), "path-too-long"),
                new Case("11 files over 10", eleven.bytes(), "too-many-files"),
                new Case("size beyond the plan", TestTars.create().declared("bomb", 1L << 33, new byte[512]).bytes(),
                        "too-large"),
                new Case("size beyond the body", TestTars.create().declared("short", 4096, new byte[512]).unfinished(),
                        "malformed"),
                new Case("truncated", java.util.Arrays.copyOf(site(), 700), "malformed"),
                new Case("gzip", gzip, "malformed"),
                new Case("not a tar", "hello, world".repeat(100).getBytes(StandardCharsets.UTF_8), "malformed"),
                new Case("empty", new byte[0], "malformed"),
                new Case("duplicate", TestTars.create().file("a", "1").file("a", "2").bytes(), "malformed"),
                new Case("file under a file", TestTars.create().file("a", "1").file("a/b", "2").bytes(), "malformed"),
                new Case("control character", TestTars.create().file("a\u0001b", "1").bytes(), "malformed"),
                new Case("'.' component", TestTars.create().file("a/./b", "1").bytes(), "malformed"));
        for (Case c : cases) {
            Reply reply = put(key, "site", c.tar());
            assertEquals(422, reply.status(), c.what() + ": " + reply);
            assertEquals("assets-rejected", reply.problemType(), c.what());
            assertEquals(c.reason(), reply.json().get("reason").asText(), c.what() + ": " + reply);
            assertEquals(before, stored(), c.what() + ": nothing stored, no temporary directory left");
            assertEquals(kept.json(), get(key, "site").json(), c.what() + ": the function keeps its assets");
        }
    }

    /** The largest file count a plan may allow, plus one: refused, and the 100,000 files written meanwhile deleted. */
    @Test
    void oneHundredThousandAndOneFilesAreTooManyForTheLargestPlan() throws IOException {
        String big = server.tenantWithKey("big", "{\"max-asset-bytes\": 1073741824, \"max-asset-files\": 100000}");
        assertEquals(201, server.deploy(big, "site", TestModules.load("hello")).status());
        TestTars tar = TestTars.create();
        for (int i = 0; i <= 100_000; i++) {
            tar.file("f" + i, "");
        }
        long started = System.nanoTime();
        Reply reply = put(big, "site", tar.bytes());
        System.out.println("assets: 100,001 empty files refused in " + (System.nanoTime() - started) / 1_000_000
                + " ms");
        assertEquals(422, reply.status(), reply.toString());
        assertEquals("too-many-files", reply.json().get("reason").asText());
        assertEquals(Set.of(), stored(), "nothing stored, no temporary directory left");
    }

    @Test
    void theMountComesFromTheQueryIsShownByGetAndABadOneIs400() throws IOException {
        Reply plain = put(key, "site", site());
        assertEquals("/assets", plain.json().get("path").asText(), plain.toString());
        assertFalse(plain.json().get("writable").asBoolean());
        Reply root = server.call(key, "PUT", "/v1/functions/site/assets?path=/", site(), TAR);
        assertEquals(200, root.status(), root.toString());
        Reply shown = get(key, "site");
        assertEquals("/", shown.json().get("path").asText(), shown.toString());
        assertEquals(root.json().get("digest"), shown.json().get("digest"));
        Set<String> before = stored();
        for (String query : List.of("path=assets", "path=/a/../b", "path=/tmp", "path=/a%20b", "path=",
                "writable=yes", "writable=TRUE", "path=/" + "a".repeat(300))) {
            Reply refused = server.call(key, "PUT", "/v1/functions/site/assets?" + query, site(), TAR);
            assertEquals(400, refused.status(), query + ": " + refused);
            assertEquals("invalid-request", refused.problemType(), query);
        }
        Reply control = server.call(key, "PUT", "/v1/functions/site/assets?writable=yes%0Aforged", site(), TAR);
        assertEquals(400, control.status(), control.toString());
        String detail = control.json().get("detail").asText();
        assertFalse(detail.contains("\n"), detail);
        assertTrue(detail.contains("yes?forged"), detail);
        assertEquals(before, stored(), "a refused mount stores nothing");
        assertEquals("/", get(key, "site").json().get("path").asText(), "the assets are unchanged");
    }

    @Test
    void writableAssetsLargerThanTheScratchSpaceAre422ExceedsScratch() throws IOException {
        String small = server.tenantWithKey("small", "{\"max-asset-bytes\": " + MAX_BYTES
                + ", \"scratch-bytes\": 8191, \"scratch-inodes\": 10}");
        assertEquals(201, server.deploy(small, "site", TestModules.load("hello")).status());
        // site(): two files, each a 4 KiB block; 8191 bytes round down to one block.
        Reply refused = server.call(small, "PUT", "/v1/functions/site/assets?writable=true", site(), TAR);
        assertEquals(422, refused.status(), refused.toString());
        assertEquals("assets-rejected", refused.problemType());
        assertEquals("exceeds-scratch", refused.json().get("reason").asText());
        assertEquals(404, get(small, "site").status(), "nothing attached");
        Reply readOnly = server.call(small, "PUT", "/v1/functions/site/assets?writable=false", site(), TAR);
        assertEquals(200, readOnly.status(), "read-only assets take no scratch space: " + readOnly);

        String enough = server.tenantWithKey("enough", "{\"max-asset-bytes\": " + MAX_BYTES
                + ", \"scratch-bytes\": 8192, \"scratch-inodes\": 4}");
        assertEquals(201, server.deploy(enough, "site", TestModules.load("hello")).status());
        Reply fits = server.call(enough, "PUT", "/v1/functions/site/assets?writable=true&path=/", site(), TAR);
        assertEquals(200, fits.status(), fits.toString());
        assertTrue(fits.json().get("writable").asBoolean());
    }

    @Test
    void aPlanWithoutAssetsRefusesEveryUpload() {
        String none = server.tenantWithKey("basic", "{}");
        assertEquals(201, server.deploy(none, "f", TestModules.load("hello")).status());
        Reply reply = put(none, "f", site());
        assertEquals(422, reply.status(), reply.toString());
        assertEquals("too-large", reply.json().get("reason").asText());
    }

    @Test
    void callersWithoutTheRightKeyGet401And404And403() {
        put(key, "site", site());
        assertEquals(401, put(null, "site", site()).status());
        assertEquals(401, get(null, "site").status());
        String other = server.tenantWithKey("globex", "{\"max-asset-bytes\": 1048576}");
        assertEquals(404, get(other, "site").status(), "another tenant's function does not exist for it");
        assertEquals(404, put(other, "site", site()).status());
        assertEquals(404, server.call(other, "DELETE", "/v1/functions/site/assets", null, null).status());
        Reply invokeOnly = server.admin("POST", "/admin/v1/tenants/acme/keys",
                "{\"name\": \"invoke\", \"scopes\": [\"invoke\"]}");
        String invoke = invokeOnly.json().get("key").asText();
        assertEquals(403, put(invoke, "site", site()).status());
        assertEquals(403, get(invoke, "site").status());
        String read = server.admin("POST", "/admin/v1/tenants/acme/keys",
                "{\"name\": \"read\", \"scopes\": [\"read\"]}").json().get("key").asText();
        assertEquals(200, get(read, "site").status());
        assertEquals(403, put(read, "site", site()).status());
        assertEquals(403, server.call(read, "DELETE", "/v1/functions/site/assets", null, null).status());
        assertEquals(404, put(key, "missing", site()).status(), "no such function");
        assertEquals(415, server.call(key, "PUT", "/v1/functions/site/assets", site(), "application/zip").status());
    }

    /**
     * 50 MB sent chunked (no Content-Length) against a 1 MiB plan: the server answers 422 too-large after reading
     * little more than the limit and closes the connection; the sender's writes fail long before the 50 MB.
     */
    @Test
    void anOversizedUploadIsRefusedWhileReadingNotAfterBufferingIt() throws Exception {
        long total = 50L << 20;
        AtomicLong sent = new AtomicLong();
        String bulk = server.tenantWithKey("bulk", "{\"max-asset-bytes\": " + MAX_BYTES
                + ", \"max-asset-files\": 1000}");
        assertEquals(201, server.deploy(bulk, "site", TestModules.load("hello")).status());
        try (Socket socket = new Socket("127.0.0.1", server.sluice.port())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/functions/site/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + bulk
                    + "\r\nContent-Type: " + TAR + "\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    // Entries of 64 KiB (a header and 65,024 bytes of data): the 17th passes the 1 MiB plan.
                    for (int i = 0; sent.get() < total; i++) {
                        byte[] chunk = TestTars.create().declared("f" + i, 65_024, new byte[65_024]).unfinished();
                        java.util.Arrays.fill(chunk, 512, chunk.length, (byte) 'x');
                        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the server closed the connection: what this test expects
                }
            });
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertEquals(422, response.status(), response.toString());
            assertEquals("assets-rejected", response.problemType());
            assertTrue(response.text().contains("\"reason\":\"too-large\""), response.toString());
            socket.close();
            writer.get(30, TimeUnit.SECONDS);
        }
        System.out.println("assets: the client got " + sent.get() + " of " + total + " bytes out before the server"
                + " closed the connection (plan: " + MAX_BYTES + " bytes)");
        assertTrue(sent.get() < 16L << 20, "the server stopped reading early: the client got " + sent.get()
                + " of " + total + " bytes out before its writes failed");
        assertEquals(Set.of(), stored(), "nothing stored, no temporary directory left");
    }

    @Test
    void aDeclaredContentLengthOverThePlanIsRefusedBeforeReading() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.sluice.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("PUT /v1/functions/site/assets HTTP/1.1\r\nHost: x\r\nAuthorization: "
                    + "Bearer " + key + "\r\nContent-Type: " + TAR + "\r\nContent-Length: " + (50L << 20) + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            RawHttp.Response response = RawHttp.read(socket.getInputStream());
            assertEquals(422, response.status(), response.toString());
            assertTrue(response.text().contains("\"reason\":\"too-large\""), response.toString());
        }
    }
}
