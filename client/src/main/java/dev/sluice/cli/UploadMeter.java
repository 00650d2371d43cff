package dev.sluice.cli;

import dev.sluice.client.UploadProgress;

/**
 * Shows a deploy's upload on stderr: on a terminal one line redrawn in place (at most 10 times a second), else
 * (with {@code --progress}) a plain line at every tenth, so a log reads cleanly. Called from the HTTP client's
 * sending thread, one call at a time.
 */
final class UploadMeter implements UploadProgress {
    private final Console console;
    private final boolean redraw;
    private int lastTenth = -1;
    private long lastDraw;
    private boolean drawn;

    UploadMeter(Console console, boolean redraw) {
        this.console = console;
        this.redraw = redraw;
    }

    @Override
    public synchronized void uploaded(long sent, long total) {
        int percent = total <= 0 ? 100 : (int) (sent * 100 / total);
        if (redraw) {
            long now = System.nanoTime();
            if (sent < total && drawn && now - lastDraw < 100_000_000L) {
                return;
            }
            lastDraw = now;
            drawn = true;
            console.err.print("\ruploading " + Units.bytes(sent) + " of " + Units.bytes(total) + " (" + percent
                    + "%)\u001b[K" + (sent >= total ? "\n" : ""));
            console.err.flush();
        } else {
            int tenth = percent / 10;
            if (tenth > lastTenth) {
                lastTenth = tenth;
                console.err.println("uploaded " + percent + "% (" + Units.bytes(sent) + " of " + Units.bytes(total)
                        + ")");
            }
        }
    }
}
