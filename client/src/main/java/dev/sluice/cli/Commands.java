package dev.sluice.cli;

import dev.sluice.cli.Cli.Command;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Every command and the options it takes, in one table. */
final class Commands {
    private static final Map<String, Command> ALL = Map.ofEntries(
            entry(new Command("deploy", Set.of("--memory-pages", "--timeout-ms", "--fuel", "--wait-seconds"),
                    Set.of("--progress", "--no-wait"), Map.of(), TenantCommands::deploy)),
            entry(new Command("invoke", Set.of("--data", "--header", "--path", "--method"), Set.of(),
                    Map.of("-d", "--data", "-H", "--header", "-X", "--method"), TenantCommands::invoke)),
            entry(new Command("functions", Set.of("--tenant"), Set.of(), Map.of(), TenantCommands::functions)),
            entry(new Command("function", Set.of(), Set.of(), Map.of(), TenantCommands::function)),
            entry(new Command("assets", Set.of("--path"), Set.of("--writable", "--progress"), Map.of(),
                    AssetCommands::assets)),
            entry(new Command("delete", Set.of(), Set.of(), Map.of(), TenantCommands::delete)),
            entry(new Command("logs", Set.of("--since", "--limit", "--interval-ms"), Set.of("--follow"),
                    Map.of("-f", "--follow"), TenantCommands::logs)),
            entry(new Command("usage", Set.of("--days", "--tenant"), Set.of("--all"), Map.of(), TenantCommands::usage)),
            entry(new Command("tenants", Set.of("--plan", "--set"), Set.of(), Map.of(), AdminCommands::tenants)),
            entry(new Command("plans", Set.of("--set"), Set.of(), Map.of(), AdminCommands::plans)),
            entry(new Command("keys", Set.of("--name", "--scopes", "--functions", "--expires-at", "--overlap-seconds"),
                    Set.of(), Map.of(), AdminCommands::keys)));

    private Commands() {}

    static Optional<Command> find(String name) {
        return Optional.ofNullable(ALL.get(name));
    }

    private static Map.Entry<String, Command> entry(Command command) {
        return Map.entry(command.name(), command);
    }
}
