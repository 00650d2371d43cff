package dev.sluice.deploy.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.deploy.support.SluiceProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The image's layers unpacked under a directory of this machine, and its entrypoint started from there as a
 * container runtime would, with two differences only: {@code java} is the JDK running the test (the image's base
 * brings its own), and the image paths {@code /app} and {@code /etc/sluice} are moved under the unpacked root (in the
 * entrypoint, in the {@code @argfiles} it names, and in the image's environment). The configuration file is
 * replaced as Kubernetes replaces it (a ConfigMap mounted on {@code /etc/sluice}), keeping the image's settings but
 * the ports and the data directory, which must be free on a shared machine.
 */
final class ExtractedImage {
    /** An image path at the start of a value, or after the separators of a class path, an argfile or a -D. */
    private static final Pattern IMAGE_PATH = Pattern.compile("(^|[:@=])(/app|/etc/sluice)(?=/|$)");

    private final Path root;
    private final JsonNode container;
    private final byte[] shippedConfig;

    ExtractedImage(ImageTarball image, Path root) {
        this.root = root.toAbsolutePath().normalize();
        this.container = image.container();
        this.shippedConfig = image.file("/etc/sluice/sluice.conf")
                .orElseThrow(() -> new AssertionError("the image has no /etc/sluice/sluice.conf")).content();
        image.extractTo(this.root);
        try {
            for (JsonNode arg : container.path("Entrypoint")) {
                if (arg.asText().startsWith("@")) {
                    Path argFile = Path.of(relocate(arg.asText().substring(1)));
                    Files.writeString(argFile, relocate(Files.readString(argFile).strip()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot relocate the entrypoint's argument files under " + root, e);
        }
    }

    Path root() {
        return root;
    }

    /** {@code value} with the image's own paths moved under the unpacked root. */
    String relocate(String value) {
        Matcher m = IMAGE_PATH.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + root + m.group(2)));
        }
        return m.appendTail(out).toString();
    }

    /** The image's Cmd: the arguments a container gets when it is given none. */
    List<String> cmd() {
        List<String> cmd = new ArrayList<>();
        container.path("Cmd").forEach(arg -> cmd.add(arg.asText()));
        return cmd;
    }

    /**
     * Writes the image's {@code /etc/sluice/sluice.conf} with these settings replaced (each key must already be in
     * it: the file keeps the image's shape) and {@code added} appended, and returns where it is.
     */
    Path configure(Map<String, String> replaced, Map<String, String> added) {
        Map<String, String> left = new LinkedHashMap<>(replaced);
        StringBuilder config = new StringBuilder();
        for (String line : new String(shippedConfig, StandardCharsets.UTF_8).lines().toList()) {
            int eq = line.indexOf('=');
            String key = line.startsWith("#") || eq < 0 ? "" : line.substring(0, eq).strip();
            config.append(left.containsKey(key) ? key + " = " + left.remove(key) : line).append('\n');
        }
        if (!left.isEmpty()) {
            throw new AssertionError("/etc/sluice/sluice.conf has no " + left.keySet() + " to replace");
        }
        added.forEach((key, value) -> config.append(key).append(" = ").append(value).append('\n'));
        try {
            return Files.writeString(root.resolve("etc/sluice/sluice.conf"), config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The image's Entrypoint followed by {@code args} (as Kubernetes' {@code args} replace the image's Cmd), started
     * in {@code workingDir} (the stand-in for the image's working directory) with exactly the image's environment
     * plus {@code environment}.
     */
    SluiceProcess start(String name, List<String> args, Path workingDir, Map<String, String> environment) {
        List<String> command = new ArrayList<>();
        JsonNode entrypoint = container.path("Entrypoint");
        if (!entrypoint.path(0).asText().equals("java")) {
            throw new AssertionError("Entrypoint[0]: " + entrypoint.path(0) + " (expected: java)");
        }
        command.add(SluiceProcess.java());
        for (int i = 1; i < entrypoint.size(); i++) {
            command.add(relocate(entrypoint.get(i).asText()));
        }
        command.addAll(args);
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode variable : container.path("Env")) {
            String[] pair = variable.asText().split("=", 2);
            env.put(pair[0], relocate(pair[1]));
        }
        env.putAll(environment);
        return SluiceProcess.start(name, command, workingDir, env);
    }
}
