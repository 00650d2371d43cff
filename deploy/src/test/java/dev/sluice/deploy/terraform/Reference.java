package dev.sluice.deploy.terraform;

import java.util.List;

/** One reference in a module: the block it sits in, its text, and its traversal (indexes as "[text]"). */
record Reference(String where, String accessor, List<String> segments) {
    String root() {
        return segments.get(0);
    }
}
