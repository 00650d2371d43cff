package dev.sluice.gateway.core;

import java.util.OptionalLong;

/**
 * The protocol side of one deploy, asked by {@link Deploys} at the step that needs it, so that every cheap refusal
 * comes before the module is read. Its exceptions (a malformed parameter, a wrong media type, a module over the cap)
 * pass through unchanged.
 */
public interface DeployCall {
    /** A positive integer the deploy asks for ({@code memory-pages}, {@code timeout-ms}, {@code fuel}), if given. */
    OptionalLong parameter(String name);

    /** Refuses a request that does not declare a WebAssembly module; called before the deploy is admitted. */
    void expectModule();

    /** The module, at most {@code maxBytes}; read only once the deploy is admitted. */
    byte[] module(long maxBytes);
}
