package dev.sluice.cli;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where the CLI calls and with what: {@code SLUICE_URL} (default {@code http://127.0.0.1:8080}), {@code SLUICE_KEY},
 * {@code SLUICE_ADMIN_TOKEN}, else a profile file, {@code ${XDG_CONFIG_HOME:-~/.config}/sluice/profile}, of
 * {@code key=value} lines ({@code url}, {@code key}, {@code admin-token}; {@code #} comments) with optional
 * {@code [name]} sections. Without {@code --profile} the lines before any section (or {@code [default]}) apply and a
 * variable wins over them; {@code --profile NAME} (or {@code SLUICE_PROFILE}) picks section NAME, whose values win
 * over the variables, and {@code --profile PATH} (with a {@code /}) a file of its own.
 *
 * <p>The file is read only when a value is needed that the variables do not give, and refused unless only its owner
 * may read it (mode 0600): it holds secrets. Errors name the variable or the file and line, never a value.
 */
final class Settings {
    static final String DEFAULT_URL = "http://127.0.0.1:8080";
    private static final Set<String> KEYS = Set.of("url", "key", "admin-token");

    private final Map<String, String> env;
    private final Optional<String> profileName;
    private final Path profileFile;
    /** A profile named on the command line (or by SLUICE_PROFILE): its values win over the variables. */
    private final boolean explicit;
    private Map<String, String> profile;

    Settings(Map<String, String> env, Optional<String> profileOption, String userHome) {
        this.env = env;
        Optional<String> name = profileOption.or(() -> Optional.ofNullable(blankToNull(env.get("SLUICE_PROFILE"))));
        if (name.isPresent() && name.get().contains("/")) {
            this.profileFile = Path.of(name.get());
            this.profileName = Optional.empty();
        } else {
            String config = blankToNull(env.get("XDG_CONFIG_HOME"));
            this.profileFile = (config != null ? Path.of(config) : Path.of(userHome, ".config"))
                    .resolve("sluice").resolve("profile");
            this.profileName = name;
        }
        this.explicit = name.isPresent();
    }

    URI url() {
        String value = value("SLUICE_URL", "url").orElse(DEFAULT_URL);
        try {
            URI uri = new URI(value);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                    || (uri.getRawQuery() != null) || uri.getRawFragment() != null) {
                throw new URISyntaxException(value, "not http(s)");
            }
            return uri;
        } catch (URISyntaxException e) {
            // Not echoed: a URL may carry user info.
            throw new ConfigError("the server URL (" + source("SLUICE_URL", "url")
                    + ") is not an http(s) URL with a host (expected: http://host:port)");
        }
    }

    String key() {
        return value("SLUICE_KEY", "key").orElseThrow(() -> new ConfigError(
                "no API key: set SLUICE_KEY, or key=... in " + profileFile + section()));
    }

    String adminToken() {
        return value("SLUICE_ADMIN_TOKEN", "admin-token").orElseThrow(() -> new ConfigError(
                "no admin token: set SLUICE_ADMIN_TOKEN, or admin-token=... in " + profileFile + section()));
    }

    private Optional<String> value(String variable, String key) {
        Optional<String> fromEnv = Optional.ofNullable(blankToNull(env.get(variable)));
        if (fromEnv.isPresent() && !explicit) {
            return fromEnv;
        }
        return Optional.ofNullable(profile().get(key)).or(() -> fromEnv);
    }

    private String source(String variable, String key) {
        boolean fromEnv = blankToNull(env.get(variable)) != null;
        if (fromEnv && (!explicit || !profile().containsKey(key))) {
            return variable;
        }
        return profile().containsKey(key) ? key + " in " + profileFile + section() : "the default";
    }

    private String section() {
        return profileName.map(n -> " [" + n + "]").orElse("");
    }

    private Map<String, String> profile() {
        if (profile == null) {
            profile = read();
        }
        return profile;
    }

    private Map<String, String> read() {
        List<String> lines;
        try {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(profileFile);
            if (mode.stream().anyMatch(p -> !p.name().startsWith("OWNER"))) {
                throw new ConfigError("profile " + profileFile + " is mode " + octal(mode)
                        + ", readable by others; it holds credentials (expected: 0600; run chmod 600 " + profileFile
                        + ")");
            }
            lines = Files.readAllLines(profileFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            if (explicit) {
                throw new ConfigError("no profile file " + profileFile);
            }
            return Map.of();
        } catch (UnsupportedOperationException e) {
            throw new ConfigError("profile " + profileFile + ": cannot check its permissions on this file system");
        } catch (IOException e) {
            throw new ConfigError("profile " + profileFile + ": cannot read it (" + e.getClass().getSimpleName() + ")");
        }
        Map<String, String> values = new HashMap<>();
        String current = "";
        boolean found = profileName.isEmpty();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = line.substring(1, line.length() - 1).strip();
                found |= profileName.isPresent() && current.equals(profileName.get());
                continue;
            }
            int equals = line.indexOf('=');
            String key = equals < 0 ? "" : line.substring(0, equals).strip();
            if (!KEYS.contains(key)) {
                // The line is not echoed: a mistyped line may be a secret.
                throw new ConfigError("profile " + profileFile + " line " + (i + 1)
                        + ": expected key=value with key url, key or admin-token");
            }
            boolean applies = profileName.map(current::equals)
                    .orElse(current.isEmpty() || current.equals("default"));
            if (applies) {
                values.put(key, line.substring(equals + 1).strip());
            }
        }
        if (!found) {
            throw new ConfigError("profile " + profileFile + " has no section [" + profileName.get() + "]");
        }
        return values;
    }

    private static String octal(Set<PosixFilePermission> mode) {
        int bits = 0;
        for (PosixFilePermission p : mode) {
            bits |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", bits);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }
}
