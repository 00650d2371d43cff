package dev.sluice.cli;

import java.util.Map;
import java.util.Optional;

/** The CLI's help texts: {@code sluice help} and {@code sluice help <command>}. */
final class Help {
    private Help() {}

    static String overview() {
        return """
                Usage: sluice <command> [options]     (sluice help <command> for one command)

                Tenant commands (SLUICE_KEY):
                  deploy NAME FILE      upload a WebAssembly module as function NAME
                  invoke NAME           run a function; its answer on stdout, status and fuel on stderr
                  functions             list the functions
                  function NAME         show a function
                  delete NAME           delete a function
                  assets show|put|delete NAME   a function's files (put: a directory or a .tar)
                  logs NAME             a function's recent invocations and stderr (--follow to keep reading)
                  usage                 invocations, errors, throttles and fuel per UTC day

                Admin commands (SLUICE_ADMIN_TOKEN):
                  tenants list|show|create|update|delete
                  plans list|show|create|update|delete
                  keys list|issue|rotate|revoke
                  usage --tenant T | --all
                  functions --tenant T

                Server (from gateway/target/sluice.jar):
                  serve | gateway | worker [--config FILE]

                Options for every command: --json (the server's JSON), --profile NAME|PATH, --help.
                Endpoint and credentials: SLUICE_URL (default http://127.0.0.1:8080), SLUICE_KEY, SLUICE_ADMIN_TOKEN,
                else ${XDG_CONFIG_HOME:-~/.config}/sluice/profile (mode 0600). See docs/cli.md.
                Exit codes: 0 ok, 1 problem from the server, 2 usage, 3 server unreachable, 4 credentials/config.
                """;
    }

    private static final Map<String, String> COMMANDS = Map.ofEntries(
            Map.entry("deploy", """
                    Usage: sluice deploy NAME FILE [--memory-pages N] [--timeout-ms N] [--fuel N]
                                         [--progress] [--no-wait] [--wait-seconds N]
                    Uploads FILE (a WASI module) as function NAME, creating or replacing it. The upload's progress shows
                    on stderr when it is a terminal and the module is 1 MiB or more, or always with --progress (plain
                    lines when stderr is not a terminal). When the server says the module is still compiling, waits for
                    it (at most --wait-seconds, default 120; --no-wait not at all): the function answers meanwhile.
                    """),
            Map.entry("invoke", """
                    Usage: sluice invoke NAME [--data TEXT | --data @FILE | --data @-] [-H 'Name: value']...
                                         [--path /x?query] [--method M]
                    Runs NAME (POST with --data, else GET) and writes its answer's body to stdout; the status, the fuel
                    used and the invocation id go to stderr. Exits 0 on a 2xx answer, 1 otherwise. --json prints
                    {"status", "fuel-used", "invocation-id", "content-type", "body"} instead.
                    """),
            Map.entry("functions", """
                    Usage: sluice functions [--tenant T]
                    Lists the tenant's functions (with --tenant: tenant T's, with the admin token).
                    """),
            Map.entry("function", """
                    Usage: sluice function NAME
                    Shows a function: digest, size, settings, what it runs with now, whether it is compiled.
                    """),
            Map.entry("assets", """
                    Usage: sluice assets show NAME
                           sluice assets put NAME DIR|FILE.tar [--path /assets] [--writable] [--progress]
                           sluice assets delete NAME
                    put replaces function NAME's assets with a directory (archived on the way; only files and
                    directories, no links) or a tar file. The guest sees them at --path (default /assets), read-only;
                    with --writable, every invocation gets its own copy there, counted against the plan's scratch
                    space, and its changes are gone when it ends. See docs/files.md.
                    """),
            Map.entry("delete", """
                    Usage: sluice delete NAME
                    Deletes function NAME (and its secrets).
                    """),
            Map.entry("logs", """
                    Usage: sluice logs NAME [--since TIME|ID] [--limit N] [--follow] [--interval-ms N]
                    Prints the function's recent invocations, oldest first, each with its stderr. --since takes an
                    RFC 3339 time or an invocation id; --limit 1..100. --follow keeps polling (every --interval-ms,
                    default 1000) for new ones until Ctrl-C; with --json, one JSON entry per line.
                    """),
            Map.entry("usage", """
                    Usage: sluice usage [--days N]             the tenant's own usage (API key)
                           sluice usage --tenant T [--days N]  tenant T's (admin token)
                           sluice usage --all [--days N]       every tenant's, summed (admin token)
                    Invocations, errors, throttles and fuel per UTC day over the last N days (1..62, default today).
                    """),
            Map.entry("tenants", """
                    Usage: sluice tenants list
                           sluice tenants show T
                           sluice tenants create T [--plan P] [--set key=value]...
                           sluice tenants update T [--plan P|none] [--set key=value|null]...
                           sluice tenants delete T
                    --set sets a limit override (README "Limit keys"); null removes it. Delete removes the tenant's
                    keys and functions too.
                    """),
            Map.entry("plans", """
                    Usage: sluice plans list
                           sluice plans show P
                           sluice plans create P [--set key=value]...
                           sluice plans update P [--set key=value]...
                           sluice plans delete P
                    A new plan takes the limits it does not set from the defaults; an update keeps them.
                    """),
            Map.entry("keys", """
                    Usage: sluice keys list T
                           sluice keys issue T --name N [--scopes invoke,deploy,read] [--functions f,g]
                                               [--expires-at 2030-01-01T00:00:00Z]
                           sluice keys rotate T ID [--overlap-seconds N]
                           sluice keys revoke T ID
                    issue and rotate print the new key once, to stdout: store it then.
                    """));

    static Optional<String> of(String command) {
        return Optional.ofNullable(COMMANDS.get(command));
    }
}
