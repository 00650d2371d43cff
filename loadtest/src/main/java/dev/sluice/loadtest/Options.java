package dev.sluice.loadtest;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} command-line options, only the names a tool knows. */
public final class Options {
    private Options() {}

    public static Map<String, String> parse(String[] args, String... known) {
        Set<String> names = Set.of(known);
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--") || !names.contains(arg.substring(2)) || i + 1 >= args.length) {
                throw new IllegalArgumentException("unknown or incomplete option '" + arg + "' (known: --"
                        + String.join(", --", names) + ", each with a value)");
            }
            options.put(arg.substring(2), args[++i]);
        }
        return options;
    }
}
