package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SluiceProblemTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SluiceProblem parse(int status, String contentType, String body) {
        return SluiceProblem.of(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aProblemDocumentGivesItsMembersAndOneLine() {
        SluiceProblem problem = parse(429, "application/problem+json", """
                {"type":"https://sluice.dev/problems/rate-limited","title":"Too Many Requests","status":429,
                 "detail":"tenant acme is over 5 requests per second","instance":"/v1/functions/f/invoke",
                 "retry-after":2}""");
        assertEquals("https://sluice.dev/problems/rate-limited", problem.type());
        assertEquals("rate-limited", problem.shortType());
        assertEquals("Too Many Requests", problem.title());
        assertEquals(429, problem.status());
        assertEquals("tenant acme is over 5 requests per second", problem.detail());
        assertEquals(2, problem.member("retry-after").orElseThrow().asInt());
        assertEquals("/v1/functions/f/invoke", problem.member("instance").orElseThrow().asText());
        assertFalse(problem.members().containsKey("type"), "type, title, status, detail are not among the rest");
        assertEquals("Too Many Requests (rate-limited, HTTP 429): tenant acme is over 5 requests per second",
                problem.getMessage());
    }

    @Test
    void theBodysStatusWinsAndAMissingTitleIsTheReasonPhrase() {
        SluiceProblem problem = parse(500, "application/problem+json; charset=utf-8",
                "{\"type\":\"https://sluice.dev/problems/not-found\",\"status\":404,\"detail\":\"no function f\"}");
        assertEquals(404, problem.status());
        assertEquals("Not Found (not-found, HTTP 404): no function f", problem.getMessage());
    }

    @Test
    void aResponseThatIsNoProblemIsDescribedByStatusAndFirstLine() {
        SluiceProblem problem = parse(502, "text/html", "<html>Bad gateway from the proxy\n<body>...</body></html>");
        assertEquals("about:blank", problem.type());
        assertEquals("about:blank", problem.shortType());
        assertEquals("Bad Gateway (about:blank, HTTP 502): <html>Bad gateway from the proxy", problem.getMessage());
    }

    @Test
    void brokenJsonAndAnEmptyBodyStillGiveALine() {
        assertEquals("Service Unavailable (about:blank, HTTP 503): {\"type\":", parse(503, "application/problem+json",
                "{\"type\":").getMessage());
        assertEquals("HTTP 418 (about:blank, HTTP 418): the server answered HTTP 418 without a problem document",
                parse(418, null, "").getMessage());
    }

    @Test
    void controlCharactersAndLengthCannotBreakTheLine() {
        String detail = "line one\nline two\r\u001b[31mred\u001b[0m" + "x".repeat(2000);
        SluiceProblem problem = parse(400, "application/problem+json", JSON.createObjectNode()
                .put("type", "https://sluice.dev/problems/invalid-request").put("title", "Bad\nRequest")
                .put("status", 400).put("detail", detail).toString());
        String line = problem.getMessage();
        assertFalse(line.contains("\n") || line.contains("\r") || line.contains("\u001b"), line);
        assertTrue(line.startsWith("Bad Request (invalid-request, HTTP 400): line one line two  [31mred [0mxxx"), line);
        assertTrue(line.endsWith("…") && line.length() < 600, "bounded: " + line.length());
        assertEquals(detail, problem.detail(), "the detail itself is kept as sent");
    }

    @Test
    void aJsonErrorThatIsNotAProblemIsDescribedAsText() {
        SluiceProblem problem = parse(400, "application/json", "[1,2]");
        assertEquals("Bad Request (about:blank, HTTP 400): [1,2]", problem.getMessage());
    }
}
