package dev.sluice.gateway.access;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeFormatter;

/**
 * One request as the access log records it: what the request thread captures (a few small values, each bounded: the
 * route is a template, the function a valid name, ids fixed-length), formatted later by the writer thread.
 *
 * @param fuel     the invocation's fuel, or -1 when none
 * @param bytesIn  the request's declared length, or -1 when it declared none (chunked)
 */
record AccessEntry(Instant time, String traceId, String method, String route, String function, String tenant,
                   String invocationId, int status, String problem, long fuel, long durationNanos, long bytesIn,
                   long bytesOut) {

    /** One JSON object (no newline); Jackson escapes every string. */
    void writeTo(JsonGenerator json) throws IOException {
        json.writeStartObject();
        json.writeStringField("time", DateTimeFormatter.ISO_INSTANT.format(time));
        json.writeStringField("trace-id", traceId);
        json.writeStringField("method", method);
        json.writeStringField("route", route);
        json.writeStringField("function", function);
        json.writeStringField("tenant", tenant);
        json.writeStringField("invocation-id", invocationId);
        json.writeNumberField("status", status);
        json.writeStringField("problem", problem);
        writeCount(json, "fuel", fuel);
        json.writeNumberField("duration-ms", Math.max(0, durationNanos) / 1_000 / 1_000.0);
        writeCount(json, "bytes-in", bytesIn);
        json.writeNumberField("bytes-out", bytesOut);
        json.writeEndObject();
    }

    private static void writeCount(JsonGenerator json, String field, long value) throws IOException {
        if (value >= 0) {
            json.writeNumberField(field, value);
        } else {
            json.writeNullField(field);
        }
    }
}
