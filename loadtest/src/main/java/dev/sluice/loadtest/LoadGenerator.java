package dev.sluice.loadtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
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
        LoadResult.Recorder recorder = new LoadResult.Recorder(name, plan);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1);
        long measureFrom = start + plan.warmup().toNanos();
        long end = measureFrom + plan.duration().toNanos();
        ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
        try {
            if (plan.mode() == LoadPlan.Mode.OPEN) {
                openLoop(plan, request, recorder, threads, start, measureFrom, end);
            } else {
                closedLoop(plan, request, recorder, threads, measureFrom, end);
            }
        } finally {
            threads.shutdown();
            long drainEnd = Math.max(System.nanoTime(), end) + drainNanos;
            if (!threads.awaitTermination(drainEnd - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                threads.shutdownNow();
            }
        }
        return recorder.result((end - measureFrom) / 1e9);
    }

    private void openLoop(LoadPlan plan, HttpRequest request, LoadResult.Recorder recorder, ExecutorService threads,
                          long start, long measureFrom, long end) throws InterruptedException {
        Semaphore slots = new Semaphore(plan.concurrency());
        double interval = 1e9 / plan.rate();
        for (long i = 0; ; i++) {
            long intended = start + (long) (i * interval);
            if (intended >= end) {
                return;
            }
            waitUntil(intended);
            boolean measured = intended >= measureFrom;
            if (!slots.tryAcquire()) {
                if (measured) {
                    recorder.late();
                }
                slots.acquire();
            }
            threads.execute(() -> {
                try {
                    send(request, recorder, intended, measured, 0);
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void closedLoop(LoadPlan plan, HttpRequest request, LoadResult.Recorder recorder, ExecutorService threads,
                            long measureFrom, long end) throws InterruptedException {
        // Each client was meant to send one request every concurrency / rate seconds.
        long expectedIntervalMicros = plan.rate() > 0 ? (long) (1e6 * plan.concurrency() / plan.rate()) : 0;
        waitUntil(measureFrom - plan.warmup().toNanos());
        for (int c = 0; c < plan.concurrency(); c++) {
            threads.execute(() -> {
                long sent;
                while ((sent = System.nanoTime()) < end && !Thread.currentThread().isInterrupted()) {
                    send(request, recorder, sent, sent >= measureFrom, expectedIntervalMicros);
                }
            });
        }
    }

    private void send(HttpRequest request, LoadResult.Recorder recorder, long from, boolean measured,
                      long expectedIntervalMicros) {
        try {
            HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
            if (measured) {
                recorder.answered(response.statusCode(), System.nanoTime() - from, expectedIntervalMicros);
            }
        } catch (IOException e) {
            if (measured) {
                recorder.failed(e.getClass().getSimpleName());
            }
        } catch (InterruptedException e) {
            if (measured) {
                recorder.failed("unfinished");
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
