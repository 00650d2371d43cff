package dev.sluice.scheduler.wasi;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * {@code args_get}, {@code args_sizes_get}, {@code environ_get} and {@code environ_sizes_get} in place of Chicory's,
 * which read the arguments and environment its WASI object was built with: Sluice builds Chicory's WASI once per
 * worker, while each invocation has its own arguments and environment (WAGI puts the request's headers there). The
 * bytes written are Chicory's (UTF-8, each argument and each {@code NAME=value} followed by a NUL, pointers in
 * order); every span is checked against memory first and is {@code EFAULT} when outside it, before anything is
 * written, as {@link PointerChecks} does for Chicory's functions.
 *
 * <p>One per worker thread; {@link #begin} gives it the invocation's values, encoded only when the guest first asks.
 * Confined to that thread.
 */
final class GuestArgs {
    private List<String> args = List.of();
    private Map<String, String> env = Map.of();
    private byte[][] argBytes; // null until the guest first asks for them
    private byte[][] envBytes; // each "NAME=value\0"

    void begin(List<String> args, Map<String, String> env) {
        this.args = args;
        this.env = env;
        this.argBytes = null;
        this.envBytes = null;
    }

    void end() {
        begin(List.of(), Map.of());
    }

    /** Chicory's function of the same name replaced, keeping its module, name and type. */
    HostFunction replace(HostFunction chicory) {
        return switch (chicory.name()) {
            case "args_sizes_get" -> sizes(chicory, true);
            case "environ_sizes_get" -> sizes(chicory, false);
            case "args_get" -> strings(chicory, true);
            case "environ_get" -> strings(chicory, false);
            default -> throw new IllegalArgumentException(chicory.name() + ": not an argument or environment function");
        };
    }

    static boolean replaces(String name) {
        return switch (name) {
            case "args_sizes_get", "environ_sizes_get", "args_get", "environ_get" -> true;
            default -> false;
        };
    }

    private HostFunction sizes(HostFunction chicory, boolean arguments) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, a) -> {
            Memory memory = instance.memory();
            if (!Region.fixed(0, 4).fits(memory, a) || !Region.fixed(1, 4).fits(memory, a)) {
                return Errno.EFAULT.result();
            }
            byte[][] strings = strings(arguments);
            memory.writeI32((int) a[0], strings.length);
            memory.writeI32((int) a[1], (int) bytes(strings));
            return Errno.SUCCESS.result();
        });
    }

    private HostFunction strings(HostFunction chicory, boolean arguments) {
        return new HostFunction(chicory.module(), chicory.name(), chicory.functionType(), (instance, a) -> {
            Memory memory = instance.memory();
            byte[][] strings = strings(arguments);
            if (!Region.fixed(0, 4L * strings.length).fits(memory, a)
                    || !Region.fixed(1, bytes(strings)).fits(memory, a)) {
                return Errno.EFAULT.result();
            }
            int pointers = (int) a[0];
            int buffer = (int) a[1];
            for (byte[] s : strings) {
                memory.writeI32(pointers, buffer);
                pointers += 4;
                memory.write(buffer, s);
                buffer += s.length;
            }
            return Errno.SUCCESS.result();
        });
    }

    private byte[][] strings(boolean arguments) {
        if (arguments) {
            if (argBytes == null) {
                argBytes = new byte[args.size()][];
                for (int i = 0; i < argBytes.length; i++) {
                    argBytes[i] = terminated(args.get(i));
                }
            }
            return argBytes;
        }
        if (envBytes == null) {
            envBytes = new byte[env.size()][];
            int i = 0;
            for (Map.Entry<String, String> e : env.entrySet()) {
                envBytes[i++] = terminated(e.getKey() + "=" + e.getValue());
            }
        }
        return envBytes;
    }

    private static byte[] terminated(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        byte[] withNul = new byte[utf8.length + 1];
        System.arraycopy(utf8, 0, withNul, 0, utf8.length);
        return withNul;
    }

    private static long bytes(byte[][] strings) {
        long total = 0;
        for (byte[] s : strings) {
            total += s.length;
        }
        return total;
    }
}
