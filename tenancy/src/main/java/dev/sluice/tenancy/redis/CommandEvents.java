package dev.sluice.tenancy.redis;

import dev.sluice.config.CallListener;
import io.lettuce.core.event.command.CommandFailedEvent;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandSucceededEvent;
import java.util.concurrent.TimeUnit;

/** Lettuce's command events as {@link CallListener} calls; a listener that throws is never Lettuce's problem. */
final class CommandEvents implements CommandListener {
    private final CallListener listener;

    CommandEvents(CallListener listener) {
        this.listener = listener;
    }

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        tell(event.getCommand().getType().toString(), event.getDuration(TimeUnit.NANOSECONDS), false);
    }

    @Override
    public void commandFailed(CommandFailedEvent event) {
        tell(event.getCommand().getType().toString(), 0, true);
    }

    private void tell(String command, long nanos, boolean failed) {
        try {
            listener.call(command, nanos, failed);
        } catch (RuntimeException ignored) {
            // Metrics must never fail a quota check.
        }
    }
}
