package dev.sluice.cli;

/** How the CLI writes sizes and durations for people (tables); {@code --json} keeps the server's numbers. */
final class Units {
    private Units() {}

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        // By hand, not String.format: that loads the locale data and DecimalFormat, tens of ms of a command's start.
        return (value < 10 ? tenths(value) : String.valueOf(Math.round(value))) + " " + units[unit];
    }

    private static String tenths(double value) {
        long tenths = Math.round(value * 10);
        return tenths / 10 + "." + tenths % 10;
    }

    static String millis(long ms) {
        return ms < 10_000 ? ms + " ms" : tenths(ms / 1000.0) + " s";
    }

    /** The digest's algorithm and first 12 hex digits: enough to tell versions apart in a table. */
    static String shortDigest(String digest) {
        int colon = digest.indexOf(':');
        return colon >= 0 && digest.length() > colon + 13 ? digest.substring(0, colon + 13) : digest;
    }
}
