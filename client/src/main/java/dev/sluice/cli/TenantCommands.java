package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.cli.Cli.Context;
import dev.sluice.client.Deployment;
import dev.sluice.client.DeployOptions;
import dev.sluice.client.FunctionInfo;
import dev.sluice.client.Header;
import dev.sluice.client.Invocation;
import dev.sluice.client.InvokeRequest;
import dev.sluice.client.Listing;
import dev.sluice.client.LogEntry;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.Usage;
import dev.sluice.client.UploadProgress;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/** The tenant's commands (API key): deploy, invoke, functions, function, delete, logs, usage. */
final class TenantCommands {
    /** Modules from this size on show their upload on a terminal without {@code --progress}. */
    private static final long PROGRESS_FROM_BYTES = 1 << 20;
    private static final int DEFAULT_WAIT_SECONDS = 120;

    private TenantCommands() {}

    static int deploy(Args args, Context context) {
        args.atMost(2);
        String name = args.positional(0, "NAME (the function's name)");
        Path file = Path.of(args.positional(1, "FILE (the .wasm module)"));
        if (!Files.isRegularFile(file)) {
            throw new UsageError("deploy", "no file " + Args.printable(file.toString()));
        }
        DeployOptions options = DeployOptions.none();
        var pages = args.longValue("--memory-pages", 1, 65536);
        var timeout = args.longValue("--timeout-ms", 1, Long.MAX_VALUE);
        var fuel = args.longValue("--fuel", 1, Long.MAX_VALUE);
        if (pages.isPresent()) {
            options = options.withMemoryPages(pages.getAsLong());
        }
        if (timeout.isPresent()) {
            options = options.withTimeoutMs(timeout.getAsLong());
        }
        if (fuel.isPresent()) {
            options = options.withFuel(fuel.getAsLong());
        }
        int waitSeconds = args.intValue("--wait-seconds", 0, 3600).orElse(DEFAULT_WAIT_SECONDS);
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UsageError("deploy", "cannot read " + Args.printable(file.toString()));
        }
        Console console = context.console;
        boolean show = args.flag("--progress") || (console.errTerminal && size >= PROGRESS_FROM_BYTES);
        UploadProgress progress = show ? new UploadMeter(console, console.errTerminal) : UploadProgress.NONE;
        SluiceClient client = context.tenant();
        Deployment deployment = client.deploy(name, file, options, progress);
        FunctionInfo function = deployment.function();
        if (!context.json) {
            console.out.println((deployment.created() ? "deployed " : "replaced ") + function.name() + ": "
                    + Units.bytes(function.size()) + ", " + function.digest());
            console.out.println("memory-pages " + function.memoryPages() + ", timeout-ms " + function.timeoutMs()
                    + ", fuel " + function.fuel());
            console.out.flush();
        }
        if (function.compiled().isPresent() && !function.compiled().get() && !args.flag("--no-wait")) {
            waitForCompile(client, function.name(), waitSeconds, console);
        } else if (function.compiled().orElse(false)) {
            console.status("compiled");
        }
        if (context.json) {
            console.out.println(function.json());
        }
        return Exit.OK;
    }

    /** Polls the function until its compiled tier is ready, at most {@code waitSeconds}: status lines on stderr. */
    private static void waitForCompile(SluiceClient client, String name, int waitSeconds, Console console) {
        console.status("compiling…");
        long start = System.nanoTime();
        long deadline = start + waitSeconds * 1_000_000_000L;
        long pause = 100;
        while (System.nanoTime() < deadline) {
            pause(pause);
            pause = Math.min(pause * 2, 1000);
            Optional<Boolean> compiled = client.function(name).compiled();
            if (compiled.isEmpty() || compiled.get()) {
                long ms = (System.nanoTime() - start) / 1_000_000;
                console.status(compiled.isEmpty() ? "compile status unknown" : "compiled (" + Units.millis(ms) + ")");
                return;
            }
        }
        console.status("still compiling after " + waitSeconds + " s; it runs on the interpreter meanwhile");
    }

    static int invoke(Args args, Context context) {
        args.atMost(1);
        String name = args.positional(0, "NAME (the function's name)");
        byte[] body = data(args);
        String method = args.value("--method").orElse(args.has("--data") ? "POST" : "GET")
                .toUpperCase(java.util.Locale.ROOT);
        List<Header> headers = new ArrayList<>();
        args.values("--header").forEach(h -> headers.add(Header.parse(h)));
        InvokeRequest request = new InvokeRequest(name, method, args.value("--path").orElse(""), headers, body);
        Invocation answer = context.tenant().invoke(request);
        Console console = context.console;
        String fuel = answer.fuelUsed().isPresent() ? String.valueOf(answer.fuelUsed().getAsLong()) : "-";
        String id = answer.invocationId().orElse("-");
        if (context.json) {
            ObjectNode node = JsonNodeFactory.instance.objectNode();
            node.put("status", answer.status());
            if (answer.fuelUsed().isPresent()) {
                node.put("fuel-used", answer.fuelUsed().getAsLong());
            } else {
                node.putNull("fuel-used");
            }
            answer.invocationId().ifPresentOrElse(i -> node.put("invocation-id", i),
                    () -> node.putNull("invocation-id"));
            answer.headers().firstValue("Content-Type").ifPresentOrElse(c -> node.put("content-type", c),
                    () -> node.putNull("content-type"));
            utf8(answer.body()).ifPresentOrElse(text -> node.put("body", text),
                    () -> node.put("body-base64", java.util.Base64.getEncoder().encodeToString(answer.body())));
            console.out.println(node);
        } else if (answer.problem().isEmpty()) {
            console.write(answer.body());
        }
        answer.problem().ifPresent(p -> console.status("sluice: " + p.getMessage()));
        console.status("HTTP " + answer.status() + ", fuel " + fuel + ", invocation " + id);
        return answer.succeeded() ? Exit.OK : Exit.PROBLEM;
    }

    /** {@code --data TEXT}, {@code --data @FILE}, or {@code --data @-} (stdin); none: an empty body. */
    private static byte[] data(Args args) {
        Optional<String> data = args.value("--data");
        if (data.isEmpty()) {
            return new byte[0];
        }
        String value = data.get();
        if (!value.startsWith("@")) {
            return value.getBytes(StandardCharsets.UTF_8);
        }
        try {
            return value.equals("@-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(value.substring(1)));
        } catch (IOException | java.nio.file.InvalidPathException e) {
            throw new UsageError("invoke", "--data: cannot read " + Args.printable(value.substring(1)));
        }
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    static int functions(Args args, Context context) {
        args.atMost(0);
        Listing<FunctionInfo> functions = args.value("--tenant").isPresent()
                ? context.admin().tenantFunctions(args.value("--tenant").get()) : context.tenant().functions();
        if (context.json) {
            context.console.out.println(functions.json());
            return Exit.OK;
        }
        Table table = Table.of("NAME", ">SIZE", ">MEMORY-PAGES", ">TIMEOUT-MS", ">FUEL", "DEPLOYED-AT", "DIGEST");
        functions.items().forEach(f -> table.row(f.name(), Units.bytes(f.size()), f.memoryPages(), f.timeoutMs(),
                f.fuel(), f.deployedAt(), Units.shortDigest(f.digest())));
        context.console.print(table);
        return Exit.OK;
    }

    static int function(Args args, Context context) {
        args.atMost(1);
        FunctionInfo function = context.tenant().function(args.positional(0, "NAME (the function's name)"));
        if (context.json) {
            context.console.out.println(function.json());
            return Exit.OK;
        }
        Table table = Table.of("FIELD", "VALUE");
        table.row("name", function.name()).row("digest", function.digest())
                .row("size", function.size() + " (" + Units.bytes(function.size()) + ")")
                .row("memory-pages", function.memoryPages()).row("timeout-ms", function.timeoutMs())
                .row("fuel", function.fuel()).row("deployed-at", function.deployedAt());
        function.compiled().ifPresent(c -> table.row("compiled", c));
        JsonNode runsWith = function.json().path("runs-with");
        runsWith.properties().forEach(e -> table.row("runs-with " + e.getKey(), e.getValue().asText()));
        context.console.print(table);
        return Exit.OK;
    }

    static int delete(Args args, Context context) {
        args.atMost(1);
        String name = args.positional(0, "NAME (the function's name)");
        context.tenant().delete(name);
        if (context.json) {
            ObjectNode node = JsonNodeFactory.instance.objectNode().put("deleted", name);
            context.console.out.println(node);
        } else {
            context.console.out.println("deleted " + name);
        }
        return Exit.OK;
    }

    static int logs(Args args, Context context) {
        args.atMost(1);
        String name = args.positional(0, "NAME (the function's name)");
        Optional<String> since = args.value("--since");
        OptionalInt limit = args.intValue("--limit", 1, 100);
        SluiceClient client = context.tenant();
        Listing<LogEntry> first = client.logs(name, since, limit);
        if (!args.flag("--follow")) {
            if (context.json) {
                context.console.out.println(first.json());
            } else {
                first.items().forEach(e -> printEntry(e, context.console));
            }
            return Exit.OK;
        }
        int interval = args.intValue("--interval-ms", 200, 60_000).orElse(1000);
        // Following: one entry per line (JSON lines with --json), polling with the last id seen; Ctrl-C ends it.
        Optional<String> last = since;
        List<LogEntry> batch = first.items();
        while (true) {
            for (LogEntry entry : batch) {
                if (context.json) {
                    context.console.out.println(entry.json());
                } else {
                    printEntry(entry, context.console);
                }
                last = Optional.of(entry.invocationId());
            }
            context.console.out.flush();
            pause(interval);
            batch = client.logs(name, last, OptionalInt.of(100)).items();
        }
    }

    private static void printEntry(LogEntry entry, Console console) {
        console.out.println(Table.clean(entry.time() + "  " + entry.status() + "  " + entry.outcome() + "  fuel "
                + entry.fuel() + "  " + Units.millis(entry.durationMs()) + "  " + entry.invocationId()));
        if (!entry.stderr().isEmpty()) {
            for (String line : entry.stderr().split("\n", -1)) {
                if (!line.isEmpty()) {
                    console.out.println("  | " + Table.clean(line));
                }
            }
            if (entry.truncated()) {
                console.out.println("  | (cut)");
            }
        }
    }

    static int usage(Args args, Context context) {
        args.atMost(0);
        OptionalInt days = args.intValue("--days", 1, 62);
        if (args.flag("--all") && args.has("--tenant")) {
            throw new UsageError("usage", "--all and --tenant: one or the other");
        }
        if (args.flag("--all")) {
            return AdminCommands.usageSummary(days, context);
        }
        Usage usage = args.value("--tenant").isPresent()
                ? context.admin().tenantUsage(args.value("--tenant").get(), days) : context.tenant().usage(days);
        if (context.json) {
            context.console.out.println(usage.json());
            return Exit.OK;
        }
        Table table = Table.of("DAY", ">INVOCATIONS", ">ERRORS", ">THROTTLES", ">FUEL");
        usage.days().forEach(d -> table.row(d.day(), d.counters().invocations(), d.counters().errors(),
                d.counters().throttles(), d.counters().fuel()));
        table.row("total", usage.total().invocations(), usage.total().errors(), usage.total().throttles(),
                usage.total().fuel());
        context.console.print(table);
        return Exit.OK;
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
