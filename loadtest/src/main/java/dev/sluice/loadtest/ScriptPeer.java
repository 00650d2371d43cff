package dev.sluice.loadtest;

import dev.sluice.scheduler.testing.TestModules;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A peer of {@link PeerRatio} that runs on a JavaScript engine (V8): workerd or Node.js, in a process of its own, serving
 * {@code /hello}, {@code /echo} and {@code /fib} from the same WASI modules Sluice runs, WAGI-style with a fresh
 * instance per request, through one shim ({@code resources/peers/wagi.mjs}; the engines differ only in their HTTP
 * server and wrapper script). Its directory receives the scripts, {@code hello.wasm} and {@code echo.wasm} (the
 * scheduler's test modules, as Sluice deploys them) and {@code fib.wasm} ({@code examples/c}); its output goes to
 * {@code DIR/log}. {@link #cpuSeconds()} is the process's user plus system CPU time (neither
 * engine forks: the process is the whole server). {@link #close()} stops it with SIGTERM, then SIGKILL after 10 s.
 */
final class ScriptPeer implements AutoCloseable {
    static final String WORKERD = "workerd";
    static final String NODE = "node";
    /** The npm package and version this tool was measured with; any recent workerd serves the same config. */
    static final String WORKERD_PACKAGE = "@cloudflare/workerd-linux-64@1.20261117.1";
    private static final List<String> SCRIPTS = List.of("wagi.mjs", "workerd.mjs", "workerd.capnp", "node.mjs");

    final String name;
    final int port;
    final Path dir;
    private final Process process;

    private ScriptPeer(String name, int port, Path dir, Process process) {
        this.name = name;
        this.port = port;
        this.dir = dir;
        this.process = process;
    }

    /** Starts {@code workerd serve} with the peer config on {@code port} in {@code dir}; returns at once. */
    static ScriptPeer workerd(Path binary, int port, Path dir) {
        return start(WORKERD, port, dir, List.of(binary.toString(), "serve", "workerd.capnp", "--socket-addr",
                "http=127.0.0.1:" + port));
    }

    /** Starts {@code node node.mjs PORT DIR} in {@code dir}; returns at once. */
    static ScriptPeer node(Path binary, int port, Path dir) {
        return start(NODE, port, dir, List.of(binary.toString(), "node.mjs", Integer.toString(port), dir.toString()));
    }

    private static ScriptPeer start(String name, int port, Path dir, List<String> command) {
        try {
            Files.createDirectories(dir);
            for (String script : SCRIPTS) {
                try (InputStream in = ScriptPeer.class.getResourceAsStream("/peers/" + script)) {
                    if (in == null) {
                        throw new IllegalStateException("no resource /peers/" + script + " on the class path");
                    }
                    Files.write(dir.resolve(script), in.readAllBytes());
                }
            }
            Files.write(dir.resolve("hello.wasm"), TestModules.load("hello"));
            Files.write(dir.resolve("echo.wasm"), TestModules.load("echo"));
            Files.write(dir.resolve("fib.wasm"), fibModule());
            Process process = new ProcessBuilder(new ArrayList<>(command)).directory(dir.toFile())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
            return new ScriptPeer(name, port, dir, process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /**
     * The workerd binary: {@code $SLUICE_WORKERD}, else where {@code npm install --prefix ~/.cache/sluice-peers
     * @cloudflare/workerd-linux-64} puts it; empty when neither exists.
     */
    static Optional<Path> workerdBinary() {
        String configured = System.getenv("SLUICE_WORKERD");
        Path path = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "sluice-peers", "node_modules", "@cloudflare",
                        "workerd-linux-64", "bin", "workerd");
        return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
    }

    /** {@code node} on the {@code PATH}; empty when there is none. */
    static Optional<Path> nodeBinary() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String entry : path.split(java.io.File.pathSeparator)) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, "node"))) {
                return Optional.of(Path.of(entry, "node"));
            }
        }
        return Optional.empty();
    }

    /**
     * The bytes of {@code examples/c/fib.wasm} (committed, built by {@code examples/c/build.sh}), found from the
     * working directory or one of its parents: the repository root ({@code loadtest/run}) or a module (tests).
     */
    static byte[] fibModule() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("examples/c/fib.wasm");
            if (Files.isRegularFile(candidate)) {
                try {
                    return Files.readAllBytes(candidate);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        throw new IllegalStateException("no examples/c/fib.wasm in " + start + " or its parents");
    }

    URI uri() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** User plus system CPU time of the process so far, in seconds, from {@code /proc/PID/stat}. */
    double cpuSeconds() {
        return ChildProcess.cpuSeconds(process);
    }

    /** Waits until the port accepts connections. */
    ScriptPeer awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited (" + process.exitValue() + "); see " + dir.resolve("log")
                        + ":\n" + tail());
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return this;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " not listening within " + timeout + ":\n" + tail());
                }
            }
            Thread.sleep(100); // a separate process starts in real time
        }
    }

    String tail() {
        return ChildProcess.tail(dir.resolve("log"));
    }

    @Override
    public void close() {
        ChildProcess.stop(process, 10);
    }
}
