package dev.sluice.scheduler.redis;

import dev.sluice.scheduler.CompileListener;
import dev.sluice.scheduler.LocalScheduler;
import dev.sluice.scheduler.SchedulerSettings;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * The scheduler whose functions are shared through Redis, owning its own connection (closed with it); its
 * {@link LocalScheduler#sharedStore()} is the module store on that connection, for what else is shared. A process
 * that also needs Redis for something else (worker discovery) opens one {@link SchedulerRedis} instead and passes
 * {@link RedisModuleStore} and {@link RedisFunctionIndex} on it to {@link LocalScheduler#openShared},
 * {@link LocalScheduler#openWorker} or {@link LocalScheduler#sharedRegistry}.
 */
public final class SharedSchedulers {
    private SharedSchedulers() {}

    /** {@code ./sluice serve} with {@code tenancy-store=redis}: registry and in-process workers on shared functions. */
    public static LocalScheduler allInOne(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                          SchedulerRedis.Settings redis) {
        return allInOne(settings, dataDir, clock, redis, CompileListener.NONE);
    }

    /** ... telling {@code onCompiled} of each real compile (metrics). */
    public static LocalScheduler allInOne(SchedulerSettings settings, Path dataDir, InstantSource clock,
                                          SchedulerRedis.Settings redis, CompileListener onCompiled) {
        SchedulerRedis connection = SchedulerRedis.open(redis);
        try {
            return LocalScheduler.openShared(settings, dataDir, clock, RedisModuleStore.create(connection),
                    RedisFunctionIndex.create(connection), connection, onCompiled);
        } catch (RuntimeException | Error e) {
            connection.close();
            throw e;
        }
    }
}
