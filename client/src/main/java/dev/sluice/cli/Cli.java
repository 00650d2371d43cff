package dev.sluice.cli;

import dev.sluice.client.AdminClient;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.SluiceProblem;
import dev.sluice.client.SluiceTransportException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The command line: finds the command, parses its arguments, runs it, and turns every failure into one line on
 * stderr and an exit code ({@link Exit}): a problem from the server prints
 * {@code sluice: <title> (<type>, HTTP <status>): <detail>} and exits 1. Credentials are read only when a command
 * needs them, and never printed.
 */
final class Cli {
    static final Set<String> GLOBAL_FLAGS = Set.of("--json", "--help");
    static final Set<String> GLOBAL_VALUED = Set.of("--profile");

    private final Map<String, String> env;
    private final String userHome;
    private final Console console;
    private final String version;

    Cli(Map<String, String> env, String userHome, Console console, String version) {
        this.env = env;
        this.userHome = userHome;
        this.console = console;
        this.version = version;
    }

    int run(String[] argv) {
        List<String> tokens = new ArrayList<>(List.of(argv));
        String name = "";
        try {
            if (tokens.isEmpty()) {
                console.err.print(Help.overview());
                return Exit.USAGE;
            }
            String first = tokens.removeFirst();
            switch (first) {
                case "--version", "version" -> {
                    console.out.println("sluice " + version);
                    return Exit.OK;
                }
                case "--help", "-h", "help" -> {
                    String topic = tokens.isEmpty() ? "" : tokens.getFirst();
                    console.out.print(topic.isEmpty() ? Help.overview() : Help.of(topic)
                            .orElseThrow(() -> new UsageError("", "no command " + Args.printable(topic))));
                    return Exit.OK;
                }
                default -> name = first;
            }
            Command command = Commands.find(name)
                    .orElseThrow(() -> new UsageError("", "unknown command " + Args.printable(first)));
            Args args = Args.parse(name, tokens, union(command.valued(), GLOBAL_VALUED),
                    union(command.flags(), GLOBAL_FLAGS), command.aliases());
            if (args.flag("--help")) {
                console.out.print(Help.of(name).orElseThrow());
                return Exit.OK;
            }
            try (Context context = new Context(console, args.flag("--json"),
                    new Settings(env, args.value("--profile"), userHome))) {
                return command.run(args, context);
            }
        } catch (UsageError e) {
            console.err.println("sluice: " + e.getMessage());
            console.err.println(e.command.isEmpty() ? "Run 'sluice help' for the commands."
                    : "Run 'sluice help " + e.command + "' for its usage.");
            return Exit.USAGE;
        } catch (IllegalArgumentException e) {
            // The typed client refused a value the user gave (a header, a method, a path).
            console.err.println("sluice: " + Table.clean(e.getMessage()));
            return Exit.USAGE;
        } catch (ConfigError e) {
            console.err.println("sluice: " + e.getMessage());
            return Exit.CONFIG;
        } catch (SluiceProblem e) {
            console.err.println("sluice: " + e.getMessage());
            return Exit.PROBLEM;
        } catch (SluiceTransportException e) {
            console.err.println("sluice: " + e.getMessage());
            return Exit.TRANSPORT;
        } catch (RuntimeException e) {
            // A bug: one line like every other failure (exception messages here hold no credential).
            console.err.println("sluice: internal error: " + e.getClass().getName()
                    + (e.getMessage() == null ? "" : ": " + Table.clean(e.getMessage())));
            return Exit.PROBLEM;
        } finally {
            console.flush();
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new java.util.HashSet<>(a);
        all.addAll(b);
        return all;
    }

    /** What a command runs with: the streams, {@code --json}, and clients made on first use from the settings. */
    static final class Context implements AutoCloseable {
        final Console console;
        final boolean json;
        private final Settings settings;

        Context(Console console, boolean json, Settings settings) {
            this.console = console;
            this.json = json;
            this.settings = settings;
        }

        private SluiceClient tenant;
        private AdminClient admin;

        SluiceClient tenant() {
            if (tenant == null) {
                tenant = SluiceClient.create(settings.url(), settings.key());
            }
            return tenant;
        }

        AdminClient admin() {
            if (admin == null) {
                admin = AdminClient.create(settings.url(), settings.adminToken());
            }
            return admin;
        }

        /** Stops the clients' threads: the JVM's exit would otherwise wait for them (see the client's close). */
        @Override
        public void close() {
            if (tenant != null) {
                tenant.close();
            }
            if (admin != null) {
                admin.close();
            }
        }
    }

    /** A command: the options it takes and what it does; returns the exit code. */
    record Command(String name, Set<String> valued, Set<String> flags, Map<String, String> aliases, Runner runner) {
        int run(Args args, Context context) {
            return runner.run(args, context);
        }
    }

    @FunctionalInterface
    interface Runner {
        int run(Args args, Context context);
    }
}
