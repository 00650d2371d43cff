package dev.sluice.gateway.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sluice.gateway.console.ConsoleServer.Reply;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.swing.text.MutableAttributeSet;
import javax.swing.text.html.HTML;
import javax.swing.text.html.HTMLEditorKit;
import javax.swing.text.html.parser.ParserDelegator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's safety over real HTTP against a real Sluice: its headers on every response, no inline code in what
 * it ships, no data without the admin token, and no file outside {@code admin-ui/} whatever the path says.
 */
class ConsoleSecurityTest {
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    @TempDir
    static Path dataDir;
    static ConsoleServer server;

    @BeforeAll
    static void start() {
        server = ConsoleServer.start(dataDir);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Every file under admin-ui/ that the console serves (the vendor README and LICENSE are not served). */
    private static List<String> shippedFiles() throws IOException {
        Path root = ConsoleServer.sources();
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(f -> root.relativize(f).toString().replace('\\', '/'))
                    .filter(f -> f.matches(".*\\.(html|js|css|svg|png)")).sorted().toList();
        }
    }

    private static void assertSecurityHeaders(Reply reply, String what) {
        assertEquals(CSP, reply.header("content-security-policy"), what + ": " + reply);
        assertEquals("nosniff", reply.header("x-content-type-options"), what);
        assertEquals("no-referrer", reply.header("referrer-policy"), what);
        assertEquals("DENY", reply.header("x-frame-options"), what);
    }

    @Test
    void everyShippedFileIsServedWithoutATokenWithItsTypeValidatorAndTheCsp() throws IOException {
        Map<String, String> types = Map.of("html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8",
                "css", "text/css; charset=utf-8", "svg", "image/svg+xml");
        List<String> files = shippedFiles();
        assertTrue(files.containsAll(List.of("index.html", "js/app.js", "console.css",
                "vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.min.css")), files.toString());
        for (String file : files) {
            Reply reply = server.get("/admin/ui/" + file, null);
            assertEquals(200, reply.status(), file);
            assertSecurityHeaders(reply, file);
            assertEquals(types.get(file.substring(file.lastIndexOf('.') + 1)), reply.header("content-type"), file);
            assertEquals("no-cache", reply.header("cache-control"), file);
            assertTrue(reply.header("etag").matches("\"[A-Za-z0-9_-]{22}\""), file + ": " + reply.header("etag"));
            byte[] shipped = Files.readAllBytes(ConsoleServer.sources().resolve(file));
            assertEquals(new String(shipped, StandardCharsets.UTF_8), reply.text(), file);

            Reply again = server.call("GET", "/admin/ui/" + file, null, null, null,
                    "If-None-Match", reply.header("etag"));
            assertEquals(304, again.status(), file);
            assertEquals(0, again.body().length, file);
            assertEquals(reply.header("etag"), again.header("etag"), file);
            assertSecurityHeaders(again, file + " (304)");
        }
    }

    @Test
    void theConsoleRootIsTheIndexAndTheBarePathRedirectsToIt() throws IOException {
        Reply index = server.get("/admin/ui/", null);
        assertEquals(200, index.status());
        assertSecurityHeaders(index, "/admin/ui/");
        assertEquals(Files.readString(ConsoleServer.sources().resolve("index.html")), index.text());

        Reply head = server.call("HEAD", "/admin/ui/index.html", null, null, null);
        assertEquals(200, head.status(), head.toString());
        assertEquals(0, head.body().length);
        assertEquals("text/html; charset=utf-8", head.header("content-type"));
        assertSecurityHeaders(head, "HEAD");

        Reply bare = server.get("/admin/ui", null);
        assertEquals(301, bare.status(), bare.toString());
        assertEquals("/admin/ui/", bare.header("location"));
        assertSecurityHeaders(bare, "/admin/ui");
    }

    @Test
    void unknownFilesDirectoriesAndOtherMethodsAreA404ProblemWithTheSameHeaders() {
        for (String path : List.of("/admin/ui/nothing.html", "/admin/ui/js/", "/admin/ui/vendor",
                "/admin/ui/vendor/uplot/", "/admin/ui/vendor/uplot/LICENSE", "/admin/ui/vendor/uplot/README.md",
                "/admin/ui/js/app.js.map", "/admin/ui/.hidden.js", "/admin/ui/js//app.js")) {
            Reply reply = server.get(path, null);
            assertEquals(404, reply.status(), path + ": " + reply);
            assertEquals("not-found", reply.problemType(), path);
            assertSecurityHeaders(reply, path);
        }
        Reply post = server.call("POST", "/admin/ui/index.html", null, new byte[] {1}, "text/plain");
        assertEquals(404, post.status(), post.toString());
        assertEquals("not-found", post.problemType());
        assertSecurityHeaders(post, "POST");
    }

    @Test
    void pathTraversalInAnySpellingNeverLeavesTheConsolesFiles() {
        // Targets that exist on the class path or the disk: a served one would show its bytes.
        List<String> attempts = List.of(
                "/admin/ui/../../etc/passwd",
                "/admin/ui/../admin/v1/tenants",
                "/admin/ui/../dev/sluice/gateway/Sluice.class",
                "/admin/ui/..%2f..%2fetc%2fpasswd",
                "/admin/ui/%2e%2e/%2e%2e/etc/passwd",
                "/admin/ui/%2e%2e%2fMETA-INF%2fMANIFEST.MF",
                "/admin/ui/js/..%2f..%2f..%2fdev/sluice/gateway/Sluice.class",
                "/admin/ui/..%5c..%5cetc%5cpasswd",
                "/admin/ui/%252e%252e/%252e%252e/etc/passwd",
                "/admin/ui/js/%2e%2e/%2e%2e/admin-token",
                "/admin/ui/....//....//etc/passwd",
                "/admin/ui//etc/passwd",
                "/admin/ui/%00index.html",
                "/admin/ui/index.html%00.js");
        for (String target : attempts) {
            Reply reply = server.raw(target);
            // Dot segments never reach the console (the routing does not match them: the server's own 404);
            // encoded ones reach it and fail its file pattern. Either way a problem, never a file.
            assertEquals(404, reply.status(), target + ": " + reply);
            assertEquals("not-found", reply.problemType(), target);
            String body = reply.text();
            assertFalse(body.contains("root:") || body.contains("Manifest-Version") || body.contains("tenants\":["),
                    target + " leaked: " + body);
        }
    }

    @Test
    void everyDataCallTheConsoleMakesIsRefusedWithoutTheAdminToken() {
        String key = issueKey("xss");
        String[][] calls = {
            {"GET", "/admin/v1/tenants"}, {"GET", "/admin/v1/usage?days=1"}, {"GET", "/admin/v1/plans"},
            {"PUT", "/admin/v1/plans/starter"}, {"DELETE", "/admin/v1/plans/starter"},
            {"PUT", "/admin/v1/tenants/xss"}, {"GET", "/admin/v1/tenants/xss"}, {"DELETE", "/admin/v1/tenants/xss"},
            {"GET", "/admin/v1/tenants/xss/keys"}, {"POST", "/admin/v1/tenants/xss/keys"},
            {"POST", "/admin/v1/tenants/xss/keys/abc/rotate"}, {"DELETE", "/admin/v1/tenants/xss/keys/abc"},
            {"GET", "/admin/v1/tenants/xss/functions"}, {"GET", "/admin/v1/tenants/xss/usage?days=14"},
            {"GET", "/admin/v1/stats"},
        };
        for (String[] call : calls) {
            for (String token : new String[] {null, key, "not-a-token"}) {
                byte[] body = call[0].equals("PUT") || call[0].equals("POST") ? "{}".getBytes() : null;
                Reply reply = server.call(call[0], call[1], token, body, body == null ? null : "application/json");
                String what = call[0] + " " + call[1] + " with " + (token == null ? "no token" : token == key
                        ? "a tenant key" : "a wrong token");
                assertEquals(401, reply.status(), what + ": " + reply);
                assertEquals("unauthorized", reply.problemType(), what);
            }
        }
        // And the tenant is still there: nothing above changed anything.
        assertEquals(200, server.admin("GET", "/admin/v1/tenants/xss", null).status());
    }

    private static String issueKey(String tenant) {
        server.admin("PUT", "/admin/v1/tenants/" + tenant, "{}");
        Reply issued = server.admin("POST", "/admin/v1/tenants/" + tenant + "/keys", "{\"name\":\"k\"}");
        assertEquals(201, issued.status(), issued.toString());
        return issued.json().get("key").asText();
    }

    @Test
    void shippedHtmlHasNoInlineScriptStyleOrHandlers() throws IOException {
        List<String> htmlFiles = shippedFiles().stream().filter(f -> f.endsWith(".html")).toList();
        assertFalse(htmlFiles.isEmpty());
        for (String file : htmlFiles) {
            List<String> problems = new ArrayList<>();
            List<String> scripts = new ArrayList<>();
            HTMLEditorKit.ParserCallback callback = new HTMLEditorKit.ParserCallback() {
                private boolean inScript;

                @Override
                public void handleStartTag(HTML.Tag tag, MutableAttributeSet attributes, int pos) {
                    check(tag, attributes);
                    if (tag == HTML.Tag.SCRIPT) {
                        inScript = true;
                        Object src = attributes.getAttribute(HTML.Attribute.SRC);
                        if (src == null) {
                            problems.add("a <script> without src at " + pos);
                        } else {
                            scripts.add(src.toString());
                        }
                    }
                    if (tag == HTML.Tag.STYLE) {
                        problems.add("a <style> element at " + pos);
                    }
                }

                @Override
                public void handleSimpleTag(HTML.Tag tag, MutableAttributeSet attributes, int pos) {
                    check(tag, attributes);
                }

                @Override
                public void handleEndTag(HTML.Tag tag, int pos) {
                    if (tag == HTML.Tag.SCRIPT) {
                        inScript = false;
                    }
                }

                @Override
                public void handleText(char[] data, int pos) {
                    if (inScript && !new String(data).isBlank()) {
                        problems.add("script text at " + pos);
                    }
                }

                private void check(HTML.Tag tag, MutableAttributeSet attributes) {
                    for (var names = attributes.getAttributeNames(); names.hasMoreElements(); ) {
                        Object key = names.nextElement();
                        String name = key.toString().toLowerCase(Locale.ROOT);
                        String value = String.valueOf(attributes.getAttribute(key));
                        if (name.equals("style") || name.startsWith("on")) {
                            problems.add(tag + " has an inline " + name);
                        }
                        if (value.strip().toLowerCase(Locale.ROOT).startsWith("javascript:")) {
                            problems.add(tag + " has a javascript: URL");
                        }
                    }
                }
            };
            try (Reader reader = Files.newBufferedReader(ConsoleServer.sources().resolve(file))) {
                new ParserDelegator().parse(reader, callback, true);
            }
            assertEquals(List.of(), problems, file);
            assertEquals(List.of("vendor/uplot/uPlot.iife.min.js", "js/app.js"), scripts, file);
        }
    }

    @Test
    void theConsolesOwnScriptsNeverBuildMarkupFromStrings() throws IOException {
        Pattern sinks = Pattern.compile("innerHTML|outerHTML|insertAdjacentHTML|document\\.write|\\beval\\(|"
                + "new Function\\(|setAttribute\\(['\"]style|\\.cssText|localStorage|document\\.cookie");
        List<String> scripts = shippedFiles().stream().filter(f -> f.startsWith("js/")).toList();
        assertTrue(scripts.size() >= 5, scripts.toString());
        for (String file : scripts) {
            String source = Files.readString(ConsoleServer.sources().resolve(file));
            Matcher found = sinks.matcher(source);
            if (found.find()) {
                throw new AssertionError(file + " uses " + found.group());
            }
        }
    }

    @Test
    void theVendoredUplotIsTheReleaseItsReadmeNames() throws Exception {
        Path vendor = ConsoleServer.sources().resolve("vendor/uplot");
        String readme = Files.readString(vendor.resolve("README.md"));
        Matcher rows = Pattern.compile("\\| `([^`]+)` \\| `[^`]+` \\| `([0-9a-f]{64})` \\|").matcher(readme);
        int checked = 0;
        while (rows.find()) {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(vendor.resolve(rows.group(1))));
            assertEquals(rows.group(2), HexFormat.of().formatHex(digest), rows.group(1));
            checked++;
        }
        assertEquals(3, checked, "uPlot.iife.min.js, uPlot.min.css and LICENSE are listed");
        assertTrue(readme.contains("MIT"), "the README names the licence");
        assertTrue(Files.readString(vendor.resolve("LICENSE")).contains("MIT License"));
    }
}
