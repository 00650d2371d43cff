package dev.sluice.config.live;

import dev.sluice.config.SluiceConfig;
import dev.sluice.config.vault.VaultTree;
import java.util.Objects;

/**
 * A configuration about to be applied, with the one in force, so a listener can tell what changed.
 *
 * @param config       the new configuration (restart-only keys keep the values in force)
 * @param tree         Vault's objects ({@link VaultTree#EMPTY} without Vault)
 * @param previous     the configuration in force
 * @param previousTree the Vault objects in force
 * @param first        whether this is the load at start
 */
public record Candidate(SluiceConfig config, VaultTree tree, SluiceConfig previous, VaultTree previousTree,
                        boolean first) {
    public Candidate {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(tree, "tree");
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(previousTree, "previousTree");
    }
}
