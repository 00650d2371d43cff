package dev.sluice.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The environment may hold a function's secrets: a request printed anywhere shows their names, never values. */
class InvocationRequestTest {
    @Test
    void toStringShowsTheEnvironmentsNamesButNoValueNorTheInput() {
        InvocationRequest request = new InvocationRequest("stdin-body".getBytes(), List.of("hello"),
                Map.of("DB_PASSWORD", "hunter2", "REQUEST_METHOD", "GET"));
        String shown = request.toString();
        assertTrue(shown.contains("DB_PASSWORD") && shown.contains("REQUEST_METHOD"), shown);
        assertFalse(shown.contains("hunter2"), shown);
        assertFalse(shown.contains("stdin-body"), shown);
        assertTrue(shown.contains("10 bytes"), shown);
        assertEquals(Map.of("DB_PASSWORD", "hunter2", "REQUEST_METHOD", "GET"), request.env(), "the guest gets them");
    }
}
