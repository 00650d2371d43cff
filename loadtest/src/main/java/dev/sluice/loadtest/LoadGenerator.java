package dev.sluice.loadtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends one request repeatedly as a {@link LoadPlan} says and records the latencies in a {@link LoadResult}.
 *
 * <p>Open loop: the calling thread schedules request {@code i} at {@code start + i / rate} and hands it to a virtual
 * thread; its latency runs from that intended time, not from when it was actually sent, so a stalled server (or a
 * stalled load generator) shows in the latencies of every request that should have gone out meanwhile, instead of
 * delaying them unseen (coordinated omission). A request that finds {@code concurrency} requests in flight waits
 * for a slot and is counted as late. Closed loop: {@code concurrency} virtual threads send back to back.
 *
 * <p>Every request carries its own timeout (set on the {@link HttpRequest}); after the measured phase, {@link #run}
 * waits for requests in flight at most {@code drain} and then abandons them (counted as errors
 * {@code "unfinished"}). Responses of any status are recorded; failures without a response are only counted.
 *
 * <p>{@link #spread} drives several targets (one request each, e.g. one per tenant) as one load: the plan's rate
 * and concurrency are the whole load's, request {@code i} goes to target {@code i mod n} (closed loop: each client
 * takes the next target in turn), and every call is recorded both in the whole load's result and in its target's.
 */
final class LoadGenerator {
    private final HttpClient http;
    private final long drainNanos;

    LoadGenerator(HttpClient http, java.time.Duration drain) {
        this.http = http;
        this.drainNanos = drain.toNanos();
    }

    /** An HTTP/1.1 client whose connections are served by virtual threads. */
    static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
    }

    LoadResult run(String name, LoadPlan plan, HttpRequest request) throws InterruptedException {
        return drive(name, plan, List.of(new Target(name, request)), 3, false).whole();
    }

    /** One request of a {@link #spread} load, recorded under its own name as well. */
    record Target(String name, HttpRequest request) {}

    /** A spread load's figures: the whole load's, and each target's in the order given. */
    record Spread(LoadResult whole, List<LoadResult> targets) {}

    /**
     * Drives {@code targets} as one load. Each target's histogram keeps {@code targetDigits} significant digits (2
     * is 1 % resolution, about 25 KB a target instead of 170 KB at 3), the whole load's always 3.
     */
    Spread spread(String name, LoadPlan plan, List<Target> targets, int targetDigits) throws InterruptedException {
        return drive(name, plan, targets, targetDigits, true);
    }

    private Spread drive(String name, LoadPlan plan, List<Target> targets, int targetDigits, boolean eachTarget)
            throws InterruptedException {
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("targets: none (expected: at least one)");
        }
        LoadResult.Recorder whole = new LoadResult.Recorder(name, plan, 3);
        List<LoadResult.Recorder> each = new ArrayList<>();
        if (eachTarget) {
            targets.forEach(t -> each.add(new LoadResult.Recorder(t.name(), plan, targetDigits)));
        }
        Sender sender = i -> {
            int t = (int) (i % targets.size());
            return new Call(targets.get(t).request(), whole, each.isEmpty() ? null : each.get(t));
        };
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
        long measureFrom = start + plan.warmup().toNanos();
        long end = measureFrom + plan.duration().toNanos();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            if (plan.mode() == LoadPlan.Mode.OPEN) {
                openLoop(plan, sender, threads, start, measureFrom, end);
            } else {
                closedLoop(plan, sender, threads, measureFrom, end);
            }
        } finally {
            threads.shutdown();
            long drainEnd = Math.max(System.nanoTime(), end) + drainNanos;
            if (!threads.awaitTermination(drainEnd - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                threads.shutdownNow();
            }
        }
        double seconds = (end - measureFrom) / 1e9;
        return new Spread(whole.result(seconds), each.stream().map(r -> r.result(seconds)).toList());
    }

    /** The request numbered {@code i} and where it is recorded ({@code target} null: in the whole load only). */
    private record Call(HttpRequest request, LoadResult.Recorder whole, LoadResult.Recorder target) {
        void answered(int status, long nanos, long expectedIntervalMicros) {
            whole.answered(status, nanos, expectedIntervalMicros);
            if (target != null) {
                target.answered(status, nanos, expectedIntervalMicros);
            }
        }

        void failed(String reason) {
            whole.failed(reason);
            if (target != null) {
                target.failed(reason);
            }
        }

        void late() {
            whole.late();
            if (target != null) {
                target.late();
            }
        }
    }

    private interface Sender {
        Call call(long i);
    }

    private void openLoop(LoadPlan plan, Sender sender, ExecutorService threads, long start, long measureFrom,
                          long end) throws InterruptedException {
        Semaphore slots = new Semaphore(plan.concurrency());
        double interval = 1e9 / plan.rate();
        for (long i = 0; ; i++) {
            long intended = start + (long) (i * interval);
            if (intended >= end) {
                return;
            }
            waitUntil(intended);
            boolean measured = intended >= measureFrom;
            Call call = sender.call(i);
            if (!slots.tryAcquire()) {
                if (measured) {
                    call.late();
                }
                slots.acquire();
            }
            threads.execute(() -> {
                try {
                    send(call, intended, measured, 0);
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void closedLoop(LoadPlan plan, Sender sender, ExecutorService threads, long measureFrom, long end)
            throws InterruptedException {
        // Each client was meant to send one request every concurrency / rate seconds.
        long expectedIntervalMicros = plan.rate() > 0 ? (long) (1e6 * plan.concurrency() / plan.rate()) : 0;
        AtomicLong next = new AtomicLong();
        waitUntil(measureFrom - plan.warmup().toNanos());
        for (int c = 0; c < plan.concurrency(); c++) {
            threads.execute(() -> {
                long sent;
                while ((sent = System.nanoTime()) < end && !Thread.currentThread().isInterrupted()) {
                    send(sender.call(next.getAndIncrement()), sent, sent >= measureFrom, expectedIntervalMicros);
                }
            });
        }
    }

    private void send(Call call, long from, boolean measured, long expectedIntervalMicros) {
        try {
            HttpResponse<Void> response = http.send(call.request(), HttpResponse.BodyHandlers.discarding());
            if (measured) {
                call.answered(response.statusCode(), System.nanoTime() - from, expectedIntervalMicros);
            }
        } catch (IOException e) {
            if (measured) {
                call.failed(e.getClass().getSimpleName());
            }
        } catch (InterruptedException e) {
            if (measured) {
                call.failed("unfinished");
            }
            Thread.currentThread().interrupt();
        }
    }

    private static void waitUntil(long nanoTime) {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
