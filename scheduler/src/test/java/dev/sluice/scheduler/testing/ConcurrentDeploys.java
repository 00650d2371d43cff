package dev.sluice.scheduler.testing;

import dev.sluice.scheduler.DeployRequest;
import dev.sluice.scheduler.FunctionRegistry;
import dev.sluice.scheduler.SchedulerException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/** Deploys released at the same instant, for the races on a tenant's function limit. */
public final class ConcurrentDeploys {
    private ConcurrentDeploys() {}

    /**
     * Runs deploy {@code i} (for {@code i < attempts}) of {@code request.apply(i)} on {@code registry.apply(i)}, each
     * on its own thread, all released together.
     *
     * @return how many were taken; the others were refused for the tenant's function limit
     * @throws ExecutionException when a deploy failed in any other way
     */
    public static int taken(int attempts, IntFunction<FunctionRegistry> registry, IntFunction<DeployRequest> request)
            throws InterruptedException, ExecutionException {
        var ready = new CountDownLatch(1);
        var outcomes = new ArrayList<Future<Boolean>>();
        try (var threads = Executors.newFixedThreadPool(attempts)) {
            for (int i = 0; i < attempts; i++) {
                FunctionRegistry target = registry.apply(i);
                DeployRequest deploy = request.apply(i);
                outcomes.add(threads.submit(() -> {
                    ready.await();
                    try {
                        target.deploy(deploy);
                        return true;
                    } catch (SchedulerException.FunctionLimit refused) {
                        return false;
                    }
                }));
            }
            ready.countDown();
            int taken = 0;
            for (Future<Boolean> outcome : List.copyOf(outcomes)) {
                taken += outcome.get() ? 1 : 0;
            }
            return taken;
        }
    }
}
