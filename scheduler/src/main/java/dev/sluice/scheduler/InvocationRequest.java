package dev.sluice.scheduler;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One invocation's input, already in process terms (WAGI): bytes for stdin, argv, and the CGI environment (with the
 * function's secrets).
 */
public record InvocationRequest(byte[] stdin, List<String> args, Map<String, String> env) {
    public InvocationRequest {
        Objects.requireNonNull(stdin, "stdin");
        args = List.copyOf(args);
        env = Map.copyOf(env);
    }

    /** The environment's names only: it may hold the function's secrets, which never reach a log or a message. */
    @Override
    public String toString() {
        return "InvocationRequest[stdin=" + stdin.length + " bytes, args=" + args + ", env=" + env.keySet() + "]";
    }
}
