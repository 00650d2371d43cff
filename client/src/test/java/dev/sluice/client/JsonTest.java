package dev.sluice.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class JsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void readsTheSameTreeAsAnObjectMapper() throws IOException {
        String text = """
                {"a":1,"b":12345678901,"c":123456789012345678901234567890,"d":1.5,"e":"x\\u00e9\\n","f":[true,false,
                 null,{"g":[]}],"h":{},"a":2}""";
        assertEquals(MAPPER.readTree(text), Json.read(text.getBytes(StandardCharsets.UTF_8)));
        assertEquals(MAPPER.readTree("[1,\"2\"]"), Json.read("[1,\"2\"]".getBytes(StandardCharsets.UTF_8)));
        assertEquals(MAPPER.readTree("7"), Json.read(" 7 ".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void refusesWhatIsNotOneJsonValue() {
        for (String bad : new String[] {"", "{", "{\"a\":1}x", "[1,]", "{'a':1}"}) {
            assertThrows(IOException.class, () -> Json.read(bad.getBytes(StandardCharsets.UTF_8)), bad);
        }
    }
}
