package dev.sluice.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The CLI's two streams and what they are connected to. Results go to {@link #out} (stdout: tables, JSON, a function's
 * answer, an issued key); status, progress and errors to {@link #err} (stderr), so a script can pipe stdout. Whether
 * each is a terminal is told by the launcher ({@code -Dsluice.tty=out,err}, from the shell's {@code [ -t 1 ]} and
 * {@code [ -t 2 ]}): the JVM cannot tell for stderr, and without it the output is plain.
 */
final class Console {
    final PrintStream out;
    final PrintStream err;
    final boolean outTerminal;
    final boolean errTerminal;
    final boolean colour;

    Console(OutputStream out, OutputStream err, boolean outTerminal, boolean errTerminal, boolean colour) {
        this.out = new PrintStream(out, false, StandardCharsets.UTF_8);
        this.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        this.outTerminal = outTerminal;
        this.errTerminal = errTerminal;
        this.colour = colour;
    }

    void print(Table table) {
        out.print(table.render(colour));
    }

    /** Raw bytes to stdout (a function's answer), as they came. */
    void write(byte[] bytes) {
        out.flush();
        out.writeBytes(bytes);
        out.flush();
    }

    void status(String line) {
        err.println(line);
    }

    void flush() {
        out.flush();
        err.flush();
    }
}
