package dev.sluice.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads the embedded default's configuration file: one {@code key = value} per line, {@code #} starts a comment
 * line, blank lines are ignored. Keys are kebab-case; a key given twice is an error rather than a silent override.
 */
public final class FileConfigSource {
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9]*(-[a-z0-9]+)*");

    private FileConfigSource() {}

    public static ConfigSource load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("config file " + file + ": cannot be read (" + e.getMessage() + ")", e);
        }
        return parse(file.toString(), lines);
    }

    /**
     * Parses {@code content}, the bytes of {@code file} as the caller read them: the live configuration hashes the
     * same bytes it parses, so a save between two reads cannot be missed.
     */
    public static ConfigSource parse(Path file, byte[] content) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
            throw new ConfigException(file + ": not UTF-8 text", e);
        }
        return parse(file.toString(), text.lines().toList());
    }

    static ConfigSource parse(String name, List<String> lines) {
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = name + ":" + (i + 1);
            int eq = line.indexOf('=');
            if (eq < 0) {
                // Not echoed: a line such as "worker-secret: ..." holds a secret, and this message reaches logs
                // and, for a live reload, the health details.
                throw new ConfigException(where + ": not a setting (expected: key = value)");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!KEY.matcher(key).matches()) {
                throw new ConfigException(where + ": key '" + key + "' (expected: kebab-case, like max-timeout-ms)");
            }
            if (values.putIfAbsent(key, value) != null) {
                throw new ConfigException(where + ": " + key + " is set twice");
            }
        }
        return ConfigSource.of(name, values);
    }
}
