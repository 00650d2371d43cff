package dev.sluice.gateway.wagi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which request headers become CGI variables, and how. */
class WagiEnvironmentTest {
    private static Map<String, String> env(Map<String, List<String>> headers) {
        return WagiEnvironment.of("GET", "/v1/functions/f/invoke", "/", "", "", 0, "localhost", 8080, "127.0.0.1",
                headers);
    }

    @Test
    void onlyNamesOfLettersDigitsAndHyphensBecomeVariablesSoNoHeaderCanPoseAsAnother() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("X-Forwarded-For", List.of("10.9.8.7"));
        headers.put("X_Forwarded_For", List.of("6.6.6.6"));
        headers.put("X.Forwarded.For", List.of("7.7.7.7"));
        headers.put("x-forwarded~for", List.of("8.8.8.8"));
        Map<String, String> env = env(headers);
        assertEquals("10.9.8.7", env.get("HTTP_X_FORWARDED_FOR"));
        assertFalse(env.values().stream().anyMatch(v -> v.contains("6.6.6.6") || v.contains("7.7.7.7")
                || v.contains("8.8.8.8")), env.toString());
    }

    @Test
    void repeatedHeadersAreJoinedAndCredentialsWithheld() {
        Map<String, List<String>> headers = new LinkedHashMap<>();
        headers.put("Accept", List.of("text/plain", "text/html"));
        headers.put("Authorization", List.of("Bearer secret"));
        Map<String, String> env = env(headers);
        assertEquals("text/plain, text/html", env.get("HTTP_ACCEPT"));
        assertFalse(env.containsKey("HTTP_AUTHORIZATION"));
    }
}
