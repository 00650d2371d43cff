package dev.sluice.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One command's arguments: positionals, options with a value ({@code --days 7}, {@code --days=7}, repeatable) and
 * flags ({@code --json}). Options may come before, between or after positionals; {@code --} ends them. An option the
 * command does not take is a {@link UsageError}.
 */
final class Args {
    private final String command;
    private final List<String> positionals;
    private final Map<String, List<String>> values;
    private final Set<String> flags;

    private Args(String command, List<String> positionals, Map<String, List<String>> values, Set<String> flags) {
        this.command = command;
        this.positionals = positionals;
        this.values = values;
        this.flags = flags;
    }

    /**
     * Parses {@code tokens}: {@code valued} and {@code flagNames} are the options taken (long names with their
     * dashes; {@code aliases} maps short forms such as {@code -d} to them).
     */
    static Args parse(String command, List<String> tokens, Set<String> valued, Set<String> flagNames,
                      Map<String, String> aliases) {
        List<String> positionals = new ArrayList<>();
        Map<String, List<String>> values = new LinkedHashMap<>();
        Set<String> flags = new HashSet<>();
        boolean options = true;
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            if (!options || token.equals("-") || !token.startsWith("-")) {
                positionals.add(token);
                continue;
            }
            if (token.equals("--")) {
                options = false;
                continue;
            }
            String name = token;
            String inline = null;
            int equals = token.indexOf('=');
            if (token.startsWith("--") && equals > 0) {
                name = token.substring(0, equals);
                inline = token.substring(equals + 1);
            }
            name = aliases.getOrDefault(name, name);
            if (flagNames.contains(name) && inline == null) {
                flags.add(name);
            } else if (valued.contains(name)) {
                String value = inline;
                if (value == null) {
                    if (i + 1 >= tokens.size()) {
                        throw new UsageError(command, name + ": needs a value");
                    }
                    value = tokens.get(++i);
                }
                values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UsageError(command, "unknown option " + printable(name)
                        + (command.isEmpty() ? "" : " for " + command));
            }
        }
        return new Args(command, List.copyOf(positionals), values, flags);
    }

    String command() {
        return command;
    }

    List<String> positionals() {
        return positionals;
    }

    /** Positional {@code index}, named {@code what} in the error when it is missing. */
    String positional(int index, String what) {
        if (index >= positionals.size()) {
            throw new UsageError(command, "missing " + what);
        }
        return positionals.get(index);
    }

    /** Refuses positionals past the first {@code count}. */
    Args atMost(int count) {
        if (positionals.size() > count) {
            throw new UsageError(command, "unexpected argument " + printable(positionals.get(count)));
        }
        return this;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    /** The option's last value. */
    Optional<String> value(String name) {
        List<String> all = values.get(name);
        return all == null ? Optional.empty() : Optional.of(all.getLast());
    }

    List<String> values(String name) {
        return values.getOrDefault(name, List.of());
    }

    OptionalInt intValue(String name, int min, int max) {
        OptionalLong value = longValue(name, min, max);
        return value.isPresent() ? OptionalInt.of((int) value.getAsLong()) : OptionalInt.empty();
    }

    OptionalLong longValue(String name, long min, long max) {
        Optional<String> text = value(name);
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long value = Long.parseLong(text.get().strip());
            if (value < min || value > max) {
                throw new UsageError(command, name + ": " + value + " (expected: " + min + ".." + max + ")");
            }
            return OptionalLong.of(value);
        } catch (NumberFormatException e) {
            throw new UsageError(command, name + ": " + printable(text.get()) + " (expected: a whole number)");
        }
    }

    /** Bounded and printable: arguments are echoed in errors, so a pasted blob must not flood the terminal. */
    static String printable(String text) {
        String clean = text.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        return clean.length() > 80 ? clean.substring(0, 80) + "…" : clean;
    }
}
