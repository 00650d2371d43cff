package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anIssuedKeysTextNeverHoldsTheSecret() throws Exception {
        IssuedKey issued = IssuedKey.from(JSON.readTree("""
                {"id":"k1","tenant":"acme","name":"ci","scopes":["read"],"functions":null,
                 "created-at":"2026-01-01T00:00:00Z","expires-at":null,"last-used-at":null,
                 "key":"sluice_sk_v2_k1_SECRETSECRET"}"""));
        assertEquals("sluice_sk_v2_k1_SECRETSECRET", issued.secret());
        assertEquals(Optional.empty(), issued.key().functions());
        assertEquals(List.of("read"), issued.key().scopes());
        assertFalse(issued.toString().contains("SECRET"), issued.toString());
    }

    @Test
    void compiledIsAbsentWhereTheServerDoesNotSayIt() throws Exception {
        assertEquals(Optional.empty(), FunctionInfo.from(JSON.readTree("{\"name\":\"f\"}")).compiled());
        assertEquals(Optional.of(false), FunctionInfo.from(JSON.readTree("{\"compiled\":false}")).compiled());
    }

    @Test
    void deployOptionsRefuseNonPositiveValuesNamingThem() {
        var e = assertThrows(IllegalArgumentException.class, () -> DeployOptions.none().withFuel(0));
        assertEquals("fuel: 0 (expected: > 0)", e.getMessage());
        assertEquals("?memory-pages=2&fuel=9", DeployOptions.none().withMemoryPages(2).withFuel(9).query());
        assertEquals("", DeployOptions.none().query());
    }

    @Test
    void headersParseLikeCurlsAndRefuseLineBreaks() {
        assertEquals(new Header("X-A", "b: c"), Header.parse("X-A: b: c"));
        assertThrows(IllegalArgumentException.class, () -> Header.parse("no colon"));
        assertThrows(IllegalArgumentException.class, () -> new Header("X", "a\r\nInjected: yes"));
        assertThrows(IllegalArgumentException.class, () -> new Header("X Y", "a"));
    }

    @Test
    void aNameIsOnePathSegmentWhateverItHolds() {
        assertEquals("a%2Fb%3Fc", Http.segment("a/b?c"));
        assertEquals("%2E%2E", Http.segment(".."));
        assertEquals("hello-1", Http.segment("hello-1"));
        assertTrue(Http.segment("a b").contains("%20"));
    }

    @Test
    void aBaseThatIsNotHttpIsRefusedWithoutEchoingIt() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SluiceClient.create(java.net.URI.create("ftp://user:pw@host/"), "k"));
        assertFalse(e.getMessage().contains("pw"), e.getMessage());
    }
}
