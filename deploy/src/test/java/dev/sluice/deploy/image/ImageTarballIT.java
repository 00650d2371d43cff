package dev.sluice.deploy.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.config.ConfigSource;
import dev.sluice.config.FileConfigSource;
import dev.sluice.config.SluiceConfig;
import dev.sluice.deploy.image.ImageTarball.Entry;
import dev.sluice.deploy.image.ImageTarball.Layer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image {@code jib:buildTar} wrote in {@code pre-integration-test} (base {@code scratch}, otherwise the real
 * image's configuration from deploy/pom.xml): its container config, its layers and its files, as the shared spec of
 * issue 13 and docs/deploy.md describe them. {@link ImageContentRunsIT} runs what it holds.
 */
class ImageTarballIT {
    /** Sluice's own modules, which must sit in jib's "project dependencies" layer and nowhere else. */
    private static final Set<String> SLUICE_MODULES = Set.of("config-vault", "tenancy", "chicory-compiler",
            "scheduler", "gateway");
    /** Artifacts only the build's tests use: none may reach the image. */
    private static final Pattern TEST_ONLY_JAR = Pattern.compile(
            "(junit|opentest4j|apiguardian|jmh|embedded-redis|kubernetes-|commons-compress|opentelemetry-proto"
                    + "|mockito|hamcrest|assertj).*\\.jar");
    private static final Pattern TEST_CLASS = Pattern.compile(".*(Test|Tests|IT|TestCase)(\\$.*)?\\.class");
    private static final Set<String> IMAGE_DIRECTORIES = Set.of("/app", "/app/libs", "/etc", "/etc/sluice", "/var",
            "/var/lib", "/var/lib/sluice");
    private static final Set<String> IMAGE_FILES = Set.of("/app/jib-classpath-file", "/app/jib-main-class-file",
            "/etc/sluice/sluice.conf");
    /** The settings the image's file may hold: listeners and the data directory, never a secret or a backend. */
    private static final Set<String> IMAGE_SETTINGS = Set.of("host", "port", "data-dir", "metrics-host",
            "metrics-port", "worker-host", "worker-port");

    private static ImageTarball image;
    private static JsonNode container;

    @BeforeAll
    static void readImage() {
        image = ImageTarball.read(ImageTarball.built());
        container = image.container();
    }

    @Test
    void entrypointIsJibsJavaLauncherForSluiceMainWithServeAsTheDefaultRole() {
        List<String> entrypoint = strings(container.path("Entrypoint"));
        assertEquals("java", entrypoint.getFirst(), "Entrypoint[0] in " + entrypoint);
        assertEquals("dev.sluice.gateway.Main", entrypoint.getLast(), "Entrypoint's main class in " + entrypoint);
        int cp = entrypoint.indexOf("-cp");
        assertTrue(cp > 0 && entrypoint.get(cp + 1).equals("@/app/jib-classpath-file"),
                "Entrypoint's class path (expected: -cp @/app/jib-classpath-file) in " + entrypoint);
        assertEquals(List.of("serve"), strings(container.path("Cmd")), "Cmd (the default role)");
        assertEquals("dev.sluice.gateway.Main", text("/app/jib-main-class-file").strip(), "/app/jib-main-class-file");
    }

    @Test
    void jvmFlagsSizeTheHeapFromTheContainerExitOnOutOfMemoryAndKeepDnsAnswersFresh() {
        List<String> entrypoint = strings(container.path("Entrypoint"));
        List<String> flags = entrypoint.subList(1, entrypoint.indexOf("-cp"));
        for (String flag : List.of("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData",
                "-Djava.io.tmpdir=/tmp", "-Dsun.net.inetaddr.ttl=5")) {
            assertTrue(flags.contains(flag), "Entrypoint's JVM flags: no " + flag + " in " + flags);
        }
        assertFalse(flags.stream().anyMatch(f -> f.startsWith("-Xmx") || f.startsWith("-Xms")),
                "Entrypoint's JVM flags: a fixed heap ignores the container's memory limit: " + flags);
    }

    @Test
    void runsAsTheNumericNonRootUser10001() {
        assertEquals("10001:10001", container.path("User").asText(), "User");
    }

    @Test
    void exposesHttpWorkerInternalAndManagementPorts() {
        assertEquals(new TreeSet<>(List.of("8080/tcp", "8090/tcp", "9464/tcp")),
                new TreeSet<>(fieldNames(container.path("ExposedPorts"))), "ExposedPorts");
    }

    @Test
    void pointsSluiceConfigAtTheShippedFileAndKeepsDataAndTmpOnVolumes() {
        assertEquals(List.of("SLUICE_CONFIG=/etc/sluice/sluice.conf"), strings(container.path("Env")), "Env");
        assertEquals("/var/lib/sluice", container.path("WorkingDir").asText(), "WorkingDir");
        assertEquals(new TreeSet<>(List.of("/var/lib/sluice", "/tmp")),
                new TreeSet<>(fieldNames(container.path("Volumes"))), "Volumes");
    }

    @Test
    void labelsNameTitleVersionSourceRevisionAndLicences() {
        JsonNode labels = container.path("Labels");
        String version = System.getProperty("sluice.version", "0.1.0-SNAPSHOT");
        assertEquals("Sluice", labels.path("org.opencontainers.image.title").asText(), "Labels: title");
        assertEquals(version, labels.path("org.opencontainers.image.version").asText(), "Labels: version");
        assertTrue(labels.path("org.opencontainers.image.source").asText().startsWith("https://"),
                "Labels: source: " + labels.path("org.opencontainers.image.source"));
        assertTrue(labels.path("org.opencontainers.image.revision").asText().matches("[0-9a-f]{7,40}|unknown"),
                "Labels: revision (a commit, or 'unknown' when the build was not given -Dsluice.revision): "
                        + labels.path("org.opencontainers.image.revision"));
        assertFalse(labels.path("org.opencontainers.image.licenses").asText().isBlank(), "Labels: licenses");
        assertEquals(List.of(System.getProperty("sluice.image", "ghcr.io/sluice-dev/sluice:" + version)),
                strings(image.manifest().path("RepoTags")), "manifest.json RepoTags (verify checks the default name: "
                        + "-Dimage or -Djib.to.image given to verify renames the tarball's image too)");
    }

    @Test
    void createdAtTheEpochSoTheSameSourcesBuildTheSameImage() {
        assertEquals("1970-01-01T00:00:00Z", image.config().path("created").asText(), "config created");
        for (Layer layer : image.layers()) {
            for (Entry entry : layer.entries()) {
                assertTrue(entry.modified().isBefore(Instant.parse("1970-01-02T00:00:00Z")),
                        layer.name() + " layer: " + entry.path() + " modified " + entry.modified());
            }
        }
    }

    @Test
    void thirdPartyJarsAndSluiceModulesSitInSeparateLayersWithNothingTwice() {
        assertEquals(List.of("dependencies", "project dependencies", "jvm arg files", "extra files"),
                image.layers().stream().map(Layer::name).toList(),
                "layers, in order (a snapshot dependency, or classes or resources of the deploy module, would add "
                        + "a layer: none is expected)");
        Layer dependencies = image.layer("dependencies").orElseThrow();
        Layer project = image.layer("project dependencies").orElseThrow();

        Set<String> modules = new TreeSet<>();
        for (Entry jar : project.files()) {
            assertTrue(jar.path().startsWith("/app/libs/") && jar.path().endsWith(".jar"),
                    "project dependencies layer: " + jar.path() + " is not a jar in /app/libs");
            Properties pom = pomProperties(jar);
            assertEquals("dev.sluice", pom.getProperty("groupId"), "project dependencies layer: " + jar.path());
            modules.add(pom.getProperty("artifactId"));
        }
        assertEquals(new TreeSet<>(SLUICE_MODULES), modules, "project dependencies layer: Sluice's modules");

        assertTrue(dependencies.files().size() > 20, "dependencies layer: " + dependencies.files().size() + " jars");
        Set<String> artifacts = new LinkedHashSet<>();
        for (Entry jar : dependencies.files()) {
            assertTrue(jar.path().startsWith("/app/libs/") && jar.path().endsWith(".jar"),
                    "dependencies layer: " + jar.path() + " is not a jar in /app/libs");
            assertFalse(containsSluiceClasses(jar), "dependencies layer: " + jar.path() + " holds dev/sluice classes");
            String artifact = jar.path().substring("/app/libs/".length()).replaceFirst("-\\d.*$", "");
            assertTrue(artifacts.add(artifact), "dependencies layer: two versions of " + artifact);
        }
        assertTrue(artifacts.contains("helidon-webserver") && artifacts.contains("lettuce-core"),
                "dependencies layer: no Helidon web server or Lettuce in " + artifacts);

        Map<String, String> seen = new HashMap<>();
        for (Layer layer : image.layers()) {
            for (Entry file : layer.files()) {
                String before = seen.put(file.path(), layer.name());
                assertNull(before, file.path() + " is in the " + before + " and the " + layer.name()
                        + " layers");
            }
        }
        List<String> classpath = List.of(text("/app/jib-classpath-file").strip().split(":"));
        List<String> jars = new ArrayList<>();
        for (Layer layer : List.of(dependencies, project)) {
            layer.files().forEach(jar -> jars.add(jar.path()));
        }
        assertEquals(new TreeSet<>(jars), new TreeSet<>(classpath.stream().filter(p -> p.endsWith(".jar")).toList()),
                "/app/jib-classpath-file: the jars of the two layers, each once");
        assertEquals(classpath.size(), new LinkedHashSet<>(classpath).size(), "/app/jib-classpath-file: "
                + "an entry twice in " + classpath);
        Entry gateway = project.files().stream().filter(jar -> "gateway".equals(pomProperties(jar)
                .getProperty("artifactId"))).findFirst().orElseThrow();
        assertTrue(zipEntries(gateway).contains("dev/sluice/gateway/Main.class"),
                gateway.path() + ": no dev/sluice/gateway/Main.class");
    }

    @Test
    void holdsOnlyTheApplicationItsConfigurationAndAnEmptyDataDirNoTestCodeSecretsOrData() {
        for (Layer layer : image.layers()) {
            for (Entry entry : layer.entries()) {
                String path = entry.path();
                boolean expected = entry.directory() ? IMAGE_DIRECTORIES.contains(path)
                        : IMAGE_FILES.contains(path) || path.matches("/app/libs/[^/]+\\.jar");
                assertTrue(expected, layer.name() + " layer: unexpected " + (entry.directory() ? "directory " : "file ")
                        + path);
                assertFalse(path.matches("/app/libs/.*-tests?\\.jar") || TEST_ONLY_JAR.matcher(
                        path.substring(path.lastIndexOf('/') + 1)).matches(), layer.name() + " layer: test-only "
                        + "artifact " + path);
                assertEquals(0L, entry.uid(), path + ": owner");
                assertEquals(0L, entry.gid(), path + ": group");
            }
        }
        for (Entry jar : image.layer("project dependencies").orElseThrow().files()) {
            for (String name : zipEntries(jar)) {
                assertFalse(TEST_CLASS.matcher(name).matches() || name.startsWith("dev/sluice/testing/"),
                        jar.path() + ": test code " + name);
            }
        }
        Set<String> settings = new TreeSet<>(shippedConfig().values().keySet());
        assertTrue(IMAGE_SETTINGS.containsAll(settings), "/etc/sluice/sluice.conf: settings beyond listeners and "
                + "the data directory (secrets come from the environment, backends from the deployment): "
                + settings);
    }

    @Test
    void dataDirShipsEmptyAndWritableByTheImagesUserSoADockerVolumeCopiedFromItIsToo() {
        Entry dataDir = image.file("/var/lib/sluice").orElseThrow(() -> new AssertionError("no /var/lib/sluice"));
        assertTrue(dataDir.directory(), "/var/lib/sluice is a directory");
        assertEquals(0777, dataDir.mode(), "/var/lib/sluice mode (jib sets no owner: 10001 writes through 'other')");
        for (Layer layer : image.layers()) {
            for (Entry entry : layer.entries()) {
                assertFalse(entry.path().startsWith("/var/lib/sluice/"), layer.name() + " layer: data in the image: "
                        + entry.path());
                if (!entry.path().equals("/var/lib/sluice")) {
                    assertEquals(0, entry.mode() & 0022, layer.name() + " layer: " + entry.path()
                            + " is writable by others than root (mode " + Integer.toOctalString(entry.mode()) + ")");
                }
            }
        }
    }

    @Test
    void shippedConfigParsesWithSluicesOwnParserAndBindsEveryListenerToAllInterfaces() {
        SluiceConfig config = SluiceConfig.from(shippedConfig());
        assertEquals("0.0.0.0", config.host(), "/etc/sluice/sluice.conf host");
        assertEquals(8080, config.port(), "/etc/sluice/sluice.conf port");
        assertEquals(Path.of("/var/lib/sluice"), config.dataDir(), "/etc/sluice/sluice.conf data-dir");
        assertEquals("0.0.0.0", config.metrics().metricsHost(), "/etc/sluice/sluice.conf metrics-host");
        assertEquals(9464, config.metrics().metricsPort(), "/etc/sluice/sluice.conf metrics-port");
        assertEquals("0.0.0.0", config.cluster().workerHost(), "/etc/sluice/sluice.conf worker-host");
        assertEquals(8090, config.cluster().workerPort(), "/etc/sluice/sluice.conf worker-port");
        assertEquals("", config.cluster().workerSecret(), "/etc/sluice/sluice.conf worker-secret");
        Entry file = image.file("/etc/sluice/sluice.conf").orElseThrow();
        assertEquals(0644, file.mode(), "/etc/sluice/sluice.conf mode (readable by 10001, written by nobody)");
    }

    private static ConfigSource shippedConfig() {
        return FileConfigSource.parse(Path.of("/etc/sluice/sluice.conf"), image.file("/etc/sluice/sluice.conf")
                .orElseThrow(() -> new AssertionError("no /etc/sluice/sluice.conf in the image")).content());
    }

    private static String text(String path) {
        return new String(image.file(path).orElseThrow(() -> new AssertionError("no " + path + " in the image"))
                .content(), StandardCharsets.UTF_8);
    }

    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    private static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> zipEntries(Entry jar) {
        List<String> names = new ArrayList<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar.content()))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                names.add(entry.getName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(jar.path(), e);
        }
        return names;
    }

    private static boolean containsSluiceClasses(Entry jar) {
        return zipEntries(jar).stream().anyMatch(name -> name.startsWith("dev/sluice/"));
    }

    /** The jar's Maven descriptor ({@code META-INF/maven/<group>/<artifact>/pom.properties}); empty if it has none. */
    private static Properties pomProperties(Entry jar) {
        Properties properties = new Properties();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(jar.content()))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.getName().matches("META-INF/maven/[^/]+/[^/]+/pom\\.properties")) {
                    properties.load(in);
                    return properties;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(jar.path(), e);
        }
        return properties;
    }
}
