package dev.sluice.gateway;

import dev.sluice.gateway.wagi.CgiResponse;
import dev.sluice.scheduler.FunctionSpec;
import io.helidon.webserver.http.ServerResponse;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes a function's CGI response as the HTTP response. Two things the function cannot get wrong:
 * <ul>
 *   <li>a status that carries no content (204, 205, 304; RFC 9110 §15.3.5) is sent without the body the function
 *       may have written anyway: a guest's slip, logged at DEBUG, not a 500;</li>
 *   <li>{@code Vary} always names {@code Authorization}: the API key picks the tenant, hence the function and its
 *       answer, so a shared cache must not serve one key's response to another. Merged with the function's own.</li>
 * </ul>
 */
final class FunctionResponses {
    private static final System.Logger LOG = System.getLogger(FunctionResponses.class.getName());
    private static final String VARY = "Vary";
    private static final String AUTHORIZATION = "Authorization";

    private FunctionResponses() {}

    static void send(ServerResponse res, CgiResponse response, FunctionSpec function) {
        res.status(response.status());
        List<CgiResponse.Header> headers = response.headers();
        if (headers.size() == 1 && !headers.getFirst().name().equalsIgnoreCase(VARY)) {
            // The usual answer (a Content-Type alone): nothing to group or merge.
            res.header(headers.getFirst().name(), headers.getFirst().value());
            res.header(VARY, AUTHORIZATION);
            body(res, response, function);
            return;
        }
        // Grouped by name: setting a header replaces it, and a function may send several Set-Cookie or Link lines.
        Map<String, List<String>> grouped = new LinkedHashMap<>();
        List<String> vary = new ArrayList<>();
        for (CgiResponse.Header header : response.headers()) {
            if (header.name().equalsIgnoreCase(VARY)) {
                vary.add(header.value());
            } else {
                grouped.computeIfAbsent(header.name(), n -> new ArrayList<>()).add(header.value());
            }
        }
        grouped.forEach((name, values) -> res.header(name, values.toArray(String[]::new)));
        res.header(VARY, vary(vary));
        body(res, response, function);
    }

    private static void body(ServerResponse res, CgiResponse response, FunctionSpec function) {
        if (allowsContent(response.status())) {
            res.send(response.body());
            return;
        }
        if (response.body().length > 0 && LOG.isLoggable(Level.DEBUG)) {
            LOG.log(Level.DEBUG, "tenant " + function.tenant() + " function " + function.name() + " answered "
                    + response.status() + " with " + response.body().length + " bytes of body; not sent");
        }
        res.send();
    }

    /** 1xx cannot come from CGI (the status is 200..599); 204, 205 and 304 end at the header section. */
    static boolean allowsContent(int status) {
        return status != 204 && status != 205 && status != 304;
    }

    /** The function's Vary values with Authorization added, unless already named or {@code *}. */
    static String vary(List<String> values) {
        List<String> names = new ArrayList<>();
        for (String value : values) {
            for (String name : value.split(",")) {
                if (!name.isBlank()) {
                    names.add(name.strip());
                }
            }
        }
        boolean covered = names.stream().map(n -> n.toLowerCase(Locale.ROOT))
                .anyMatch(n -> n.equals("*") || n.equals("authorization"));
        if (!covered) {
            names.add(AUTHORIZATION);
        }
        return String.join(", ", names);
    }
}
