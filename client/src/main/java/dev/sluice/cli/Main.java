package dev.sluice.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;

/** {@code sluice <command>}: see {@link Help} or {@code sluice help}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws java.io.IOException {
        if (args.length == 1 && args[0].equals("--cds-training")) {
            Training.run();
            System.exit(0);
        }
        String tty = System.getProperty("sluice.tty", "");
        boolean outTerminal = tty.contains("out");
        boolean errTerminal = tty.contains("err");
        String term = System.getenv("TERM");
        boolean colour = outTerminal && System.getenv("NO_COLOR") == null && !"dumb".equals(term);
        Console console = new Console(new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err),
                outTerminal, errTerminal, colour);
        String version = Main.class.getPackage().getImplementationVersion();
        int code = new Cli(System.getenv(), System.getProperty("user.home"), console,
                version == null ? "(development)" : version).run(args);
        System.exit(code);
    }
}
