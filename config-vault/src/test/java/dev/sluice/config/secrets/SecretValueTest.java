package dev.sluice.config.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SecretValueTest {
    @Test
    void anUnpairedSurrogateIsRefusedWithoutEchoingTheValue() {
        for (String value : List.of("s3cret\ud800x", "s3cret\udc00", "s3cret\ud800", "\udc00\ud800s3cret")) {
            SecretsException.Invalid e = assertThrows(SecretsException.Invalid.class, () -> SecretValue.of(value));
            assertEquals("value: not valid Unicode text (expected: no unpaired UTF-16 surrogate)", e.getMessage());
            assertFalse(e.getMessage().contains("s3cret"));
        }
    }

    @Test
    void aPairedSurrogateAndOtherTextAreKeptAsWritten() {
        String emoji = "key-\ud83d\udd11-\u00e4\u4e2d";
        assertEquals(emoji, SecretValue.of(emoji).reveal());
        assertEquals("", SecretValue.of("").reveal());
    }
}
