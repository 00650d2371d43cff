package dev.sluice.gateway;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.SluiceConfig;
import dev.sluice.config.VaultConfig;
import dev.sluice.config.live.ConfigStatus;
import dev.sluice.config.live.LiveConfig;
import dev.sluice.config.live.RefreshResult;
import dev.sluice.gateway.http.Json;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration in force, behind the admin token; mounted at {@code /admin/v1/config}.
 * <ul>
 *   <li>{@code GET /admin/v1/config}: where the configuration comes from ({@code file} or {@code vault}), its state
 *   and the reason when it is not {@code OK}, when it was last applied and polled, the poll counters, the Vault paths
 *   and versions in force, and the keys by kind: the live keys with their values in force (none is secret), and the
 *   other keys of the configuration in force ({@code SluiceConfig.asMap()}), which need a restart, by name only: a
 *   secret one such as {@code worker-secret} or {@code redis-uri} is listed only when it is set, and its value is
 *   never shown.</li>
 *   <li>{@code POST /admin/v1/config/refresh}: checks the sources now, on the caller's thread, and answers what
 *   happened: {@code applied} (with the keys and paths that changed and the keys that need a restart),
 *   {@code unchanged}, {@code refused} (with the reason, naming the path and key; the last-known-good stays in force)
 *   or {@code unavailable} (a source could not be read). The answer is 200 whichever it is: the refresh ran, and
 *   {@code result} says how it went.</li>
 * </ul>
 */
final class ConfigService implements HttpService {
    private final AdminAuth auth;
    private final LiveConfig live;

    ConfigService(AdminAuth auth, LiveConfig live) {
        this.auth = auth;
        this.live = live;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.any(auth)
                .get("/", this::show)
                .post("/refresh", this::refresh);
    }

    private void show(ServerRequest req, ServerResponse res) {
        SluiceConfig config = live.current();
        ObjectNode body = status(live.status());
        VaultConfig vault = config.vault();
        if (vault.enabled()) {
            ObjectNode node = body.putObject("vault");
            node.put("address", vault.address());
            node.put("mount", vault.mount());
            node.put("prefix", vault.prefix());
            node.put("auth", vault.auth());
            ObjectNode paths = node.putObject("paths");
            String folder = VaultDeclarations.folder(vault);
            live.tree().entries().forEach((path, entry) -> paths.put(folder + "/" + path, entry.version()));
        }
        Map<String, String> values = config.asMap();
        ObjectNode liveKeys = body.putObject("live-keys");
        SluiceConfig.LIVE_KEYS.forEach(key -> liveKeys.put(key, values.get(key)));
        ArrayNode restartOnly = body.putArray("restart-only-keys");
        values.keySet().stream().filter(key -> !SluiceConfig.LIVE_KEYS.contains(key)).sorted()
                .forEach(restartOnly::add);
        AdminService.send(res, Status.OK_200, body);
    }

    private void refresh(ServerRequest req, ServerResponse res) {
        RefreshResult result = live.refresh();
        ObjectNode body = Json.object();
        switch (result) {
            case RefreshResult.Applied applied -> {
                body.put("result", "applied");
                applied.changed().forEach(body.putArray("changed")::add);
                applied.needRestart().forEach(body.putArray("need-restart")::add);
            }
            case RefreshResult.Unchanged unchanged -> body.put("result", "unchanged");
            case RefreshResult.Refused refused -> body.put("result", "refused").put("reason", refused.reason());
            case RefreshResult.Unavailable unavailable ->
                    body.put("result", "unavailable").put("reason", unavailable.reason());
        }
        body.set("status", status(live.status()));
        AdminService.send(res, Status.OK_200, body);
    }

    /** The status as {@code /admin/v1/config} and {@code /health/ready} show it. */
    static ObjectNode status(ConfigStatus status) {
        ObjectNode node = summary(status);
        put(node, "last-applied", status.lastApplied().map(Object::toString));
        put(node, "last-poll", status.lastPoll().map(Object::toString));
        ObjectNode counters = node.putObject("counters");
        counters.put("polls", status.polls());
        counters.put("failures", status.failures());
        counters.put("refusals", status.refusals());
        counters.put("applied", status.applied());
        return node;
    }

    /** Source, state and reason: what readiness details show. */
    static ObjectNode summary(ConfigStatus status) {
        ObjectNode node = Json.object();
        node.put("source", status.source());
        node.put("state", status.state().name());
        put(node, "reason", status.reason());
        return node;
    }

    private static void put(ObjectNode node, String field, Optional<String> value) {
        value.ifPresentOrElse(v -> node.put(field, v), () -> node.putNull(field));
    }
}
