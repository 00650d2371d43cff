package dev.sluice.scheduler;

import dev.sluice.scheduler.files.FunctionFiles;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One invocation's input, already in process terms (WAGI): bytes for stdin, argv, the CGI environment (with the
 * function's secrets), and the files the guest sees ({@link FunctionFiles#NONE}: none).
 */
public record InvocationRequest(byte[] stdin, List<String> args, Map<String, String> env, FunctionFiles files) {
    public InvocationRequest {
        Objects.requireNonNull(stdin, "stdin");
        args = List.copyOf(args);
        env = Map.copyOf(env);
        Objects.requireNonNull(files, "files");
    }

    /** An invocation without files. */
    public InvocationRequest(byte[] stdin, List<String> args, Map<String, String> env) {
        this(stdin, args, env, FunctionFiles.NONE);
    }

    /** The environment's names only: it may hold the function's secrets, which never reach a log or a message. */
    @Override
    public String toString() {
        return "InvocationRequest[stdin=" + stdin.length + " bytes, args=" + args + ", env=" + env.keySet()
                + ", files=" + files + "]";
    }
}
