package dev.sluice.tenancy.redis;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A Lua script run by {@code EVALSHA}, so only its digest crosses the wire; when Redis does not know it (first use,
 * or Redis restarted empty) it is sent once with {@code EVAL}, which also caches it on the server.
 */
final class RedisScript {
    private final String source;
    private final String sha;
    private final ScriptOutputType output;

    RedisScript(String source, ScriptOutputType output) {
        this.source = source;
        this.output = output;
        try {
            this.sha = HexFormat.of().formatHex(
                    MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required of every JDK", e);
        }
    }

    <T> CompletableFuture<T> run(RedisClusterAsyncCommands<String, byte[]> redis, String key, byte[]... args) {
        return run(redis, new String[] {key}, args);
    }

    /** With several keys: on Redis Cluster they must share a slot. */
    <T> CompletableFuture<T> run(RedisClusterAsyncCommands<String, byte[]> redis, String[] keys, byte[]... args) {
        CompletableFuture<T> first = redis.<T>evalsha(sha, output, keys, args).toCompletableFuture();
        return first.exceptionallyCompose(failure -> {
            Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
            if (cause instanceof RedisNoScriptException) {
                return redis.<T>eval(source, output, keys, args).toCompletableFuture();
            }
            return CompletableFuture.failedFuture(cause);
        });
    }

    static byte[] arg(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] arg(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
