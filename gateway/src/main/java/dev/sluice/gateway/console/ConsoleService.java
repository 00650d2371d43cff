package dev.sluice.gateway.console;

import dev.sluice.gateway.http.ProblemException;
import dev.sluice.gateway.http.ProblemType;
import dev.sluice.gateway.http.Requests;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The admin console: the static files under {@code admin-ui/} in the jar, served at {@code /admin/ui/}. They hold no
 * data and need no token; every call the console makes for data goes to the admin API with the token the user typed
 * (kept in the browser's session storage), so this service never sees a credential.
 *
 * <p>A request names a file only through a strict pattern (segments starting with a letter or digit, a known
 * extension, no percent-encoding): {@code ..}, encoded variants, directories and anything else answer the same 404
 * problem, so no path reaches the class loader that could leave {@code admin-ui/} or list a directory. Every
 * response, a 404 included, carries the console's Content-Security-Policy and security headers. Files are revalidated
 * on each use ({@code no-cache} with a strong ETag): a new jar's console is picked up at once, an unchanged file costs
 * a 304.
 *
 * <p>Thread-safe: files read once are kept (the set is bounded by what the jar ships; misses are not kept).
 */
public final class ConsoleService implements HttpService {
    /** Where the console is mounted; {@code /admin/ui} without the slash is redirected here. */
    public static final String PATH = "/admin/ui";

    /** The shared spec's policy: no inline script or style, nothing from another origin, never framed. */
    static final String CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    /** Sent with every console response, whatever its status. */
    static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer",
            // frame-ancestors' predecessor, for browsers that predate it.
            "X-Frame-Options", "DENY");

    private static final Pattern FILE = Pattern.compile(
            "(?:[A-Za-z0-9][A-Za-z0-9_-]*/)*[A-Za-z0-9][A-Za-z0-9_.-]*\\.([a-z0-9]+)");

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "svg", "image/svg+xml",
            "png", "image/png");

    private final String root;
    private final ClassLoader loader;
    private final Map<String, Asset> assets = new ConcurrentHashMap<>();

    private ConsoleService(String root, ClassLoader loader) {
        this.root = root;
        this.loader = loader;
    }

    /** The console shipped in this jar ({@code admin-ui/} on the class path). */
    public static ConsoleService create() {
        return new ConsoleService("admin-ui/", ConsoleService.class.getClassLoader());
    }

    /** A file as served: its bytes, type and validator. */
    private record Asset(byte[] bytes, String contentType, String etag) {
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(this::serve);
    }

    private void serve(ServerRequest req, ServerResponse res) {
        SECURITY_HEADERS.forEach(res::header);
        String raw = req.path().absolute().rawPath();
        Method method = req.prologue().method();
        if (!method.equals(Method.GET) && !method.equals(Method.HEAD)) {
            throw notFound("no route for " + method.text() + " " + printable(raw));
        }
        if (raw.equals(PATH)) {
            // The console's URLs are relative to /admin/ui/.
            res.status(Status.MOVED_PERMANENTLY_301).header(HeaderNames.LOCATION, PATH + "/").send();
            return;
        }
        String name = raw.equals(PATH + "/") ? "index.html"
                : raw.startsWith(PATH + "/") ? raw.substring(PATH.length() + 1) : "";
        Asset asset = find(name).orElseThrow(() -> notFound("the console has no file " + printable(name)));
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.ETAG, asset.etag());
        if (req.headers().first(HeaderNames.IF_NONE_MATCH).map(m -> matches(m, asset.etag())).orElse(false)) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, asset.contentType());
        if (method.equals(Method.HEAD)) {
            res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(asset.bytes().length)).send();
            return;
        }
        res.send(asset.bytes());
    }

    private Optional<Asset> find(String name) {
        var file = FILE.matcher(name);
        if (!file.matches() || !TYPES.containsKey(file.group(1))) {
            return Optional.empty();
        }
        Asset known = assets.get(name);
        if (known != null) {
            return Optional.of(known);
        }
        try (InputStream in = loader.getResourceAsStream(root + name)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readAllBytes();
            Asset asset = new Asset(bytes, TYPES.get(file.group(1)), etag(bytes));
            assets.put(name, asset);
            return Optional.of(asset);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the console's " + name, e);
        }
    }

    /** If-None-Match: a list of entity tags, or {@code *}; weak tags compare by their opaque part (RFC 9110 13.1.2). */
    private static boolean matches(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*") || t.equals(etag) || t.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    private static String etag(byte[] bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
            return "\"" + Base64.getUrlEncoder().withoutPadding().encodeToString(digest).substring(0, 22) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    private static ProblemException notFound(String detail) {
        ProblemException problem = ProblemException.of(ProblemType.NOT_FOUND, detail);
        SECURITY_HEADERS.forEach(problem::header);
        return problem;
    }

    /** Echoes the client's path only in a bounded, printable form. */
    private static String printable(String value) {
        return Requests.printable(value, 80);
    }
}
