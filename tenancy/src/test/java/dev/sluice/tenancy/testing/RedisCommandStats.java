package dev.sluice.tenancy.testing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads Redis's own per-command call counts, so tests count store reads without wrapping the client. */
public final class RedisCommandStats {
    private static final Pattern LINE = Pattern.compile("^cmdstat_([a-z|_-]+):calls=(\\d+)", Pattern.MULTILINE);

    private RedisCommandStats() {}

    /** Calls of {@code command} (lower case) in the text of {@code INFO commandstats}; 0 when never called. */
    public static long calls(String info, String command) {
        Matcher m = LINE.matcher(info);
        while (m.find()) {
            if (m.group(1).equals(command)) {
                return Long.parseLong(m.group(2));
            }
        }
        return 0;
    }
}
