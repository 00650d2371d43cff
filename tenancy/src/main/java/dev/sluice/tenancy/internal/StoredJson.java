package dev.sluice.tenancy.internal;

import dev.sluice.tenancy.TenancyException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.config.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reading and writing tenancy's versioned JSON files. A file is one object with {@code "version": 1} and one array
 * field (a snapshot also has the {@code "seq"} of the last journal record it includes); the whole file is rewritten
 * atomically. Anything unexpected on load is a {@link TenancyException.StorageFailure} whose message names the file,
 * the JSON path and what was expected, so an operator can repair it; nothing is silently dropped. Stateless apart from the (thread-safe) mapper.
 */
public final class StoredJson {
    static final int VERSION = 1;

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final Path file;
    /** Named in every error message: the file, or where else the JSON came from (a Redis key). */
    private final String source;

    public StoredJson(Path file) {
        this.file = file;
        this.source = file.toString();
    }

    private StoredJson(String source) {
        this.file = null;
        this.source = source;
    }

    /** For JSON values kept outside files (in Redis): errors name {@code source}; only the parse methods work. */
    public static StoredJson value(String source) {
        return new StoredJson(source);
    }

    public ObjectNode newObject() {
        return MAPPER.createObjectNode();
    }

    /** One line, no indentation: for values stored outside files. */
    public static String compact(JsonNode node) {
        try {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** The JSON object in {@code text}, or a StorageFailure naming the source. */
    public ObjectNode parseObject(String text, String path) {
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw corrupt("not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        return object(root, path);
    }

    Path file() {
        return file;
    }

    public ObjectNode newDocument() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("version", VERSION);
        return root;
    }

    /** A snapshot document: {@link #newDocument()} plus the seq of the last journal record it includes. */
    public ObjectNode newDocument(long seq) {
        return newDocument().put("seq", seq);
    }

    /** One line, no indentation, UTF-8: a journal record's payload. */
    public static byte[] compactBytes(JsonNode node) {
        try {
            return MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** The JSON object in {@code bytes} (a journal record), or a StorageFailure naming the source. */
    public ObjectNode parseObject(byte[] bytes, String path) {
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (IOException e) {
            throw corrupt("not valid JSON (" + e.getMessage() + ")", e);
        }
        return object(root, path);
    }

    /** The array stored under {@code field}, or empty when the file does not exist yet. */
    public Optional<JsonNode> readArray(String field) {
        return readDocument(field).map(Document::array);
    }

    /**
     * A snapshot file: its array and the seq of the last journal record it includes (0 for files written before the
     * journal, which include everything).
     */
    public record Document(JsonNode array, long seq) {}

    /** The document whose array is stored under {@code field}, or empty when the file does not exist yet. */
    public Optional<Document> readDocument(String field) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException absent) {
            return Optional.empty();
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(file + ": cannot read (" + e + ")", e);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw corrupt("not valid JSON (" + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(file + ": cannot read (" + e + ")", e);
        }
        if (root == null || root.isMissingNode()) {
            throw corrupt("empty (expected: a JSON object with \"version\": " + VERSION + ")", null);
        }
        if (!root.isObject()) {
            throw corrupt("top level is " + kind(root) + " (expected: object)", null);
        }
        JsonNode version = root.get("version");
        if (version == null || !version.isIntegralNumber()) {
            throw corrupt("version: " + describe(version) + " (expected: " + VERSION + ")", null);
        }
        if (version.asLong() != VERSION) {
            throw corrupt("version: " + version.asLong() + " (expected: " + VERSION
                    + "; written by a newer or unknown Sluice?)", null);
        }
        JsonNode array = root.get(field);
        if (array == null || !array.isArray()) {
            throw corrupt(field + ": " + describe(array) + " (expected: array)", null);
        }
        long seq = root.has("seq") ? nonNegativeLong(root, "seq", "") : 0;
        return Optional.of(new Document(array, seq));
    }

    /** Replaces the file with {@code document}, atomically; returns the bytes written. */
    public long write(ObjectNode document, boolean ownerOnly) {
        try {
            byte[] bytes = MAPPER.writeValueAsBytes(document);
            if (ownerOnly) {
                AtomicFiles.writeOwnerOnly(file, bytes);
            } else {
                AtomicFiles.write(file, bytes);
            }
            return bytes.length;
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(file + ": cannot write (" + e + ")", e);
        }
    }

    /** The bytes {@link #write(ObjectNode, boolean)} would write, for callers that skip unchanged writes. */
    public static byte[] bytes(ObjectNode document) {
        try {
            return MAPPER.writeValueAsBytes(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree always serializes", e);
        }
    }

    /** Replaces the file with {@code bytes} (from {@link #bytes}), atomically. */
    public void write(byte[] bytes) {
        try {
            AtomicFiles.write(file, bytes);
        } catch (IOException e) {
            throw new TenancyException.StorageFailure(file + ": cannot write (" + e + ")", e);
        }
    }

    public TenancyException.StorageFailure corrupt(String what, Throwable cause) {
        return new TenancyException.StorageFailure(source + ": " + what, cause);
    }

    public ObjectNode object(JsonNode parent, String path) {
        if (parent == null || !parent.isObject()) {
            throw corrupt(path + ": " + describe(parent) + " (expected: object)", null);
        }
        return (ObjectNode) parent;
    }

    public String text(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        if (value == null || !value.isTextual()) {
            throw corrupt(path + "." + field + ": " + describe(value) + " (expected: string)", null);
        }
        return value.textValue();
    }

    long positiveLong(JsonNode parent, String field, String path) {
        return longAtLeast(parent, field, path, 1);
    }

    public long nonNegativeLong(JsonNode parent, String field, String path) {
        return longAtLeast(parent, field, path, 0);
    }

    private long longAtLeast(JsonNode parent, String field, String path, long min) {
        JsonNode value = parent.get(field);
        if (value == null || !value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < min) {
            throw corrupt(path + "." + field + ": " + describe(value) + " (expected: integer " + (min == 1 ? "> 0" : ">= " + min) + ")", null);
        }
        return value.longValue();
    }

    int positiveInt(JsonNode parent, String field, String path) {
        long value = positiveLong(parent, field, path);
        if (value > Integer.MAX_VALUE) {
            throw corrupt(path + "." + field + ": " + value + " (expected: <= " + Integer.MAX_VALUE + ")", null);
        }
        return (int) value;
    }

    public Instant instant(JsonNode parent, String field, String path) {
        String text = text(parent, field, path);
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw corrupt(path + "." + field + ": '" + text + "' (expected: ISO-8601 instant)", e);
        }
    }

    Optional<Instant> optionalInstant(JsonNode parent, String field, String path) {
        JsonNode value = parent.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(instant(parent, field, path));
    }

    /** Runs a domain constructor, turning its validation failure into a storage failure at {@code path}. */
    public <T> T domain(String path, java.util.function.Supplier<T> constructor) {
        try {
            return constructor.get();
        } catch (TenancyException.InvalidInput | java.time.DateTimeException e) {
            throw corrupt(path + ": " + e.getMessage(), e);
        }
    }

    private static String describe(JsonNode node) {
        if (node == null || node.isMissingNode()) {
            return "missing";
        }
        if (node.isValueNode()) {
            String text = node.toString();
            return text.length() > 80 ? text.substring(0, 80) + "..." : text;
        }
        return kind(node);
    }

    private static String kind(JsonNode node) {
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
