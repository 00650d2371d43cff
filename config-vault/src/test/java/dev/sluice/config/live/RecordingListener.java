package dev.sluice.config.live;

import dev.sluice.config.ConfigException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records what it was asked to prepare and what it applied; refuses while {@link #refuseWith} is set. */
final class RecordingListener implements ConfigListener {
    final List<Candidate> prepared = new CopyOnWriteArrayList<>();
    final List<Candidate> applied = new CopyOnWriteArrayList<>();
    volatile String refuseWith;

    @Override
    public Runnable prepare(Candidate candidate) {
        prepared.add(candidate);
        if (refuseWith != null) {
            throw new ConfigException(refuseWith);
        }
        return () -> applied.add(candidate);
    }

    Candidate lastApplied() {
        return applied.get(applied.size() - 1);
    }
}
