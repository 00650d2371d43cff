package dev.sluice.deploy.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An image as {@code jib:buildTar} writes it (docker-archive): {@code manifest.json} naming the config and the layers
 * in order, the config JSON, and one gzipped tar per layer. Read whole into memory (the image is about 20 MB). Each
 * layer is paired with its {@code history} entry, whose comment is jib's layer name ("dependencies", "project
 * dependencies", "extra files", ...); history entries marked {@code empty_layer} have no layer.
 */
record ImageTarball(JsonNode manifest, JsonNode config, List<Layer> layers) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file or directory of a layer; {@code path} is absolute in the image ({@code /app/libs/x.jar}). */
    record Entry(String path, boolean directory, int mode, long uid, long gid, Instant modified, byte[] content) {}

    /** A layer: jib's name for it (its history comment) and its entries in archive order. */
    record Layer(String name, String file, List<Entry> entries) {
        List<Entry> files() {
            return entries.stream().filter(e -> !e.directory()).toList();
        }
    }

    /**
     * The tarball the build wrote before the integration tests ({@code sluice.image.tarball}, set by failsafe from
     * the pom); from an IDE, run {@code ./mvnw -pl deploy -am verify} once first.
     */
    static Path built() {
        String property = System.getProperty("sluice.image.tarball");
        Path tarball = Path.of(property != null ? property : "target/jib-image.tar");
        if (!Files.isRegularFile(tarball)) {
            throw new IllegalStateException(tarball.toAbsolutePath() + " does not exist: jib:buildTar "
                    + "(execution offline-image-tarball, phase pre-integration-test) writes it");
        }
        return tarball;
    }

    static ImageTarball read(Path tarball) {
        Map<String, byte[]> members = new HashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(
                new BufferedInputStream(Files.newInputStream(tarball)))) {
            for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.isFile()) {
                    members.put(entry.getName(), in.readAllBytes());
                }
            }
            JsonNode manifests = JSON.readTree(required(members, "manifest.json", tarball));
            if (manifests.size() != 1) {
                throw new IllegalStateException(tarball + ": manifest.json: " + manifests.size()
                        + " images (expected: 1)");
            }
            JsonNode manifest = manifests.get(0);
            JsonNode config = JSON.readTree(required(members, manifest.path("Config").asText(), tarball));
            List<String> names = new ArrayList<>();
            for (JsonNode step : config.path("history")) {
                if (!step.path("empty_layer").asBoolean(false)) {
                    names.add(step.path("comment").asText(step.path("created_by").asText()));
                }
            }
            JsonNode files = manifest.path("Layers");
            if (names.size() != files.size()) {
                throw new IllegalStateException(tarball + ": " + files.size() + " layers but " + names.size()
                        + " non-empty history entries");
            }
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                String file = files.get(i).asText();
                layers.add(new Layer(names.get(i), file, entries(required(members, file, tarball))));
            }
            return new ImageTarball(manifest, config, List.copyOf(layers));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the image tarball " + tarball, e);
        }
    }

    private static byte[] required(Map<String, byte[]> members, String name, Path tarball) {
        byte[] bytes = members.get(name);
        if (bytes == null) {
            throw new IllegalStateException(tarball + ": no member '" + name + "' (has " + members.keySet() + ")");
        }
        return bytes;
    }

    private static List<Entry> entries(byte[] gzippedTar) throws IOException {
        List<Entry> entries = new ArrayList<>();
        try (InputStream gunzip = new GZIPInputStream(new ByteArrayInputStream(gzippedTar));
             TarArchiveInputStream in = new TarArchiveInputStream(gunzip)) {
            for (TarArchiveEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (!entry.isFile() && !entry.isDirectory()) {
                    throw new IllegalStateException("layer entry " + entry.getName() + ": neither a file nor a "
                            + "directory (links and devices are not expected in this image)");
                }
                String path = "/" + entry.getName().replaceAll("^/+|/+$", "");
                entries.add(new Entry(path, entry.isDirectory(), entry.getMode() & 07777, entry.getLongUserId(),
                        entry.getLongGroupId(), entry.getModTime().toInstant(),
                        entry.isDirectory() ? new byte[0] : in.readAllBytes()));
            }
        }
        return List.copyOf(entries);
    }

    /** The layer jib calls {@code name}, if the image has one. */
    Optional<Layer> layer(String name) {
        return layers.stream().filter(l -> l.name().equals(name)).findFirst();
    }

    /** The file at {@code path} as the container sees it (the last layer holding it wins). */
    Optional<Entry> file(String path) {
        Entry found = null;
        for (Layer layer : layers) {
            for (Entry entry : layer.entries()) {
                if (entry.path().equals(path)) {
                    found = entry;
                }
            }
        }
        return Optional.ofNullable(found);
    }

    /** The container config: {@code config.config} of the image config (Entrypoint, Cmd, Env, User, ...). */
    JsonNode container() {
        return config.path("config");
    }

    /**
     * Writes every layer, in order, under {@code root} (the image's {@code /} becomes {@code root}), as a container
     * runtime would unpack it; no entry may leave {@code root}.
     */
    void extractTo(Path root) {
        Path base = root.toAbsolutePath().normalize();
        try {
            for (Layer layer : layers) {
                for (Entry entry : layer.entries()) {
                    Path target = base.resolve(entry.path().substring(1)).normalize();
                    if (!target.startsWith(base)) {
                        throw new IllegalStateException(layer.name() + ": entry " + entry.path() + " leaves the root");
                    }
                    if (entry.directory()) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.write(target, entry.content());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the image under " + root, e);
        }
    }
}
