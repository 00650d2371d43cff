package dev.sluice.scheduler.fuel;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.sluice.scheduler.SchedulerException.ModuleRejected;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Instruments every {@code .wasm} file in a directory, checks that Chicory still validates the result, and prints
 * the instrumentation time (best of 30) next to Chicory's parse time for modules over 500 kB. Not a test: it needs
 * a corpus of real modules, e.g. Chicory's {@code wasm-corpus/src/main/resources/compiled}. See docs/fuel.md.
 */
public final class InstrumentationTiming {
    private InstrumentationTiming() {}

    public static void main(String[] args) throws IOException {
        int ok = 0;
        int rejected = 0;
        int broken = 0;
        try (Stream<Path> files = Files.list(Path.of(args[0]))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".wasm")).sorted().toList()) {
                byte[] bytes = Files.readAllBytes(file);
                WasmModule module;
                try {
                    module = Parser.parse(bytes);
                } catch (RuntimeException e) {
                    continue; // not ours to judge
                }
                try {
                    var instrumented = FuelInstrumenter.instrument(bytes, module);
                    try {
                        Parser.parse(instrumented.bytes());
                        ok++;
                    } catch (RuntimeException e) {
                        broken++;
                        System.out.println("BROKEN " + file.getFileName() + ": " + e);
                    }
                    if (bytes.length > 500_000) {
                        long best = Long.MAX_VALUE;
                        for (int i = 0; i < 30; i++) {
                            long started = System.nanoTime();
                            FuelInstrumenter.instrument(bytes, module);
                            best = Math.min(best, System.nanoTime() - started);
                        }
                        long started = System.nanoTime();
                        Parser.parse(bytes);
                        long parse = System.nanoTime() - started;
                        System.out.printf("%s: %d -> %d bytes, instrument %.1f ms, parse %.1f ms%n", file.getFileName(),
                                bytes.length, instrumented.bytes().length, best / 1e6, parse / 1e6);
                    }
                } catch (ModuleRejected e) {
                    rejected++;
                    System.out.println("rejected " + file.getFileName() + ": " + e.getMessage());
                }
            }
        }
        System.out.printf("instrumented and valid: %d, rejected: %d, broken: %d%n", ok, rejected, broken);
    }
}
