package dev.sluice.gateway.wagi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sluice.gateway.wagi.CgiResponse.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class CgiResponseTest {
    private static CgiResponse parse(String stdout) {
        return CgiResponse.parse(stdout.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String body(CgiResponse response) {
        return new String(response.body(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void headersThenBlankLineThenBody() {
        CgiResponse response = parse("Content-Type: text/html\nX-A: 1\n\n<p>hi</p>");
        assertEquals(200, response.status());
        assertEquals(List.of(new Header("Content-Type", "text/html"), new Header("X-A", "1")), response.headers());
        assertEquals("<p>hi</p>", body(response));
    }

    @Test
    void crlfLineEndingsAreAccepted() {
        CgiResponse response = parse("Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nmissing");
        assertEquals(404, response.status());
        assertEquals("missing", body(response));
    }

    @Test
    void statusHeaderSetsTheCodeAndIsNotForwarded() {
        CgiResponse response = parse("Status: 201 Created\n\nok");
        assertEquals(201, response.status());
        assertEquals(List.of(new Header("Content-Type", CgiResponse.DEFAULT_CONTENT_TYPE)), response.headers());
    }

    @Test
    void locationAloneMeansRedirect() {
        assertEquals(302, parse("Location: /elsewhere\n\n").status());
    }

    @Test
    void outputWithoutHeaderBlockIsPlainText() {
        for (String stdout : new String[] {"just text\n", "", "\n\nleading blank", "no colon here\n\nbody",
                "Content-Type: text/plain\nno terminator"}) {
            CgiResponse response = parse(stdout);
            assertEquals(200, response.status(), stdout);
            assertEquals(stdout, body(response));
            assertEquals(List.of(new Header("Content-Type", CgiResponse.DEFAULT_CONTENT_TYPE)), response.headers());
        }
    }

    @Test
    void framingAndGatewayHeadersAreDropped() {
        CgiResponse response = parse("Content-Length: 99\nTransfer-Encoding: chunked\nConnection: close\n"
                + "RateLimit: \"x\";r=9\nSluice-Fuel-Used: 0\nContent-Type: text/plain\n\nbody");
        assertEquals(List.of(new Header("Content-Type", "text/plain")), response.headers());
    }

    @Test
    void invalidStatusIsAnError() {
        for (String status : new String[] {"abc", "99 Low", "600 High", "2000", "100 Continue"}) {
            assertThrows(CgiResponse.InvalidCgiResponse.class, () -> parse("Status: " + status + "\n\n"), status);
        }
    }

    @Test
    void aControlCharacterInAHeaderValueIsAnError() {
        for (String value : new String[] {"x\rSet-Cookie: evil=1", "a\u0000b", "a\u001bb"}) {
            assertThrows(CgiResponse.InvalidCgiResponse.class, () -> parse("X-A: " + value + "\n\nbody"), value);
        }
        assertEquals("a\tb", parse("X-A: a\tb\n\nbody").headers().getFirst().value(), "a tab is allowed");
    }

    @Test
    void tooManyHeadersIsAnError() {
        String headers = "X-H: v\n".repeat(101);
        assertThrows(CgiResponse.InvalidCgiResponse.class, () -> parse(headers + "\nbody"));
    }

    @Test
    void bodyBytesAreKeptExactly() {
        byte[] stdout = {'A', ':', ' ', 'b', '\n', '\n', 0, (byte) 0xff, '\n'};
        assertArrayEquals(new byte[] {0, (byte) 0xff, '\n'}, CgiResponse.parse(stdout).body());
    }
}
