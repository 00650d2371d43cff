package dev.sluice.config.vault;

import dev.sluice.config.CallListener;
import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The session's one HTTP client, which bounds every exchange in time and size. The driver can only set whole seconds
 * on a request (and none when given a client), so this wrapper sets the millisecond timeout on each request it sends;
 * but {@link HttpRequest#timeout()} only bounds the wait for the response headers, not the body, so {@link #send}
 * also runs the exchange asynchronously and waits at most {@code vault-timeout-ms} for the whole of it, body
 * included, cancelling it past that (a Vault or proxy that sends headers and then stalls would otherwise block the
 * poller or the renewer for good). Bodies are capped at {@link #MAX_BODY_BYTES}: KV values are small, and a huge
 * answer must not be read whole into the heap. Connect time is bounded by the wrapped client's connect timeout.
 */
final class BoundedHttpClient extends HttpClient {
    /** The largest answer body read (8 MiB); a larger one fails the call with {@link BodyTooLarge}. */
    static final long MAX_BODY_BYTES = 8L * 1024 * 1024;

    private final HttpClient client;
    private final Duration timeout;
    private final long maxBodyBytes;
    private final CallListener calls;
    /** The clock exchanges are timed with (for {@code calls}). */
    private final LongSupplier nanoTime;

    private BoundedHttpClient(HttpClient client, Duration timeout, long maxBodyBytes, CallListener calls,
                              LongSupplier nanoTime) {
        this.client = client;
        this.timeout = timeout;
        this.maxBodyBytes = maxBodyBytes;
        this.calls = calls;
        this.nanoTime = nanoTime;
    }

    static BoundedHttpClient create(Duration timeout) {
        return create(timeout, MAX_BODY_BYTES);
    }

    static BoundedHttpClient create(Duration timeout, long maxBodyBytes) {
        return create(timeout, maxBodyBytes, CallListener.NONE);
    }

    /** @param calls told of each exchange's duration or failure (metrics) */
    static BoundedHttpClient create(Duration timeout, long maxBodyBytes, CallListener calls) {
        return create(timeout, maxBodyBytes, calls, System::nanoTime);
    }

    /** ... timing exchanges on {@code nanoTime}. */
    static BoundedHttpClient create(Duration timeout, long maxBodyBytes, CallListener calls, LongSupplier nanoTime) {
        // HTTP/1.1 as the driver does on its own: a Vault Agent proxying h2c to https fails.
        return new BoundedHttpClient(HttpClient.newBuilder().version(Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(Redirect.NEVER).build(), timeout, maxBodyBytes, calls,
                Objects.requireNonNull(nanoTime, "nanoTime"));
    }

    /** Tells the listener how an exchange of {@code request}, started at {@code startNanos}, ended. */
    private void told(HttpRequest request, long startNanos, HttpResponse<?> response, Throwable failure) {
        boolean failed = failure != null || response == null
                || (response.statusCode() >= 400 && response.statusCode() != 404);
        try {
            calls.call(VaultOperations.operation(request), nanoTime.getAsLong() - startNanos, failed);
        } catch (RuntimeException ignored) {
            // Metrics never fail a Vault call.
        }
    }

    /** An answer body past the cap; {@link Reply#transport} names the call and the cap. */
    static final class BodyTooLarge extends IOException {
        final long limit;

        BodyTooLarge(long limit) {
            super("the answer is larger than " + limit + " bytes");
            this.limit = limit;
        }
    }

    private <T> HttpResponse.BodyHandler<T> capped(HttpResponse.BodyHandler<T> handler) {
        return info -> new CappedSubscriber<>(handler.apply(info), maxBodyBytes);
    }

    /** Passes the body on until it exceeds the cap, then cancels the exchange and fails the body. */
    private static final class CappedSubscriber<T> implements HttpResponse.BodySubscriber<T> {
        private final HttpResponse.BodySubscriber<T> delegate;
        private final long limit;
        private long seen;
        private volatile boolean failed;
        private Flow.Subscription subscription;

        CappedSubscriber(HttpResponse.BodySubscriber<T> delegate, long limit) {
            this.delegate = delegate;
            this.limit = limit;
        }

        @Override
        public CompletionStage<T> getBody() {
            return delegate.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            delegate.onSubscribe(s);
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            if (failed) {
                return;
            }
            for (ByteBuffer b : item) {
                seen += b.remaining();
            }
            if (seen > limit) {
                failed = true;
                subscription.cancel();
                delegate.onError(new BodyTooLarge(limit));
                return;
            }
            delegate.onNext(item);
        }

        @Override
        public void onError(Throwable t) {
            if (!failed) {
                delegate.onError(t);
            }
        }

        @Override
        public void onComplete() {
            if (!failed) {
                delegate.onComplete();
            }
        }
    }

    private HttpRequest bounded(HttpRequest request) {
        return HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        long start = nanoTime.getAsLong();
        HttpResponse<T> response = null;
        Throwable failure = null;
        try {
            response = boundedSend(request, handler);
            return response;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            told(request, start, response, failure);
        }
    }

    private <T> HttpResponse<T> boundedSend(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<T>> exchange = client.sendAsync(bounded(request), capped(handler));
        try {
            return exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new HttpTimeoutException("the exchange did not complete within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof BodyTooLarge big) {
                throw new BodyTooLarge(big.limit);
            }
            if (cause instanceof HttpTimeoutException t) {
                throw new HttpTimeoutException(t.getMessage());
            }
            if (cause instanceof IOException io) {
                throw io; // as send() would: Reply.transport tells a refused connection from other failures by type
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        long start = nanoTime.getAsLong();
        CompletableFuture<HttpResponse<T>> out = timed(client.sendAsync(bounded(request), capped(handler)));
        out.whenComplete((response, failure) -> told(request, start, response, failure));
        return out;
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
            HttpResponse.PushPromiseHandler<T> push) {
        long start = nanoTime.getAsLong();
        CompletableFuture<HttpResponse<T>> out = timed(client.sendAsync(bounded(request), capped(handler), push));
        out.whenComplete((response, failure) -> told(request, start, response, failure));
        return out;
    }

    /** The exchange bounded as {@link #send} bounds it: past the timeout it fails and the exchange is cancelled. */
    private <T> CompletableFuture<HttpResponse<T>> timed(CompletableFuture<HttpResponse<T>> exchange) {
        CompletableFuture<HttpResponse<T>> out = exchange.copy().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        out.whenComplete((response, failure) -> {
            if (failure instanceof TimeoutException) {
                exchange.cancel(true);
            }
        });
        return out;
    }

    @Override
    public Optional<CookieHandler> cookieHandler() {
        return client.cookieHandler();
    }

    @Override
    public Optional<Duration> connectTimeout() {
        return client.connectTimeout();
    }

    @Override
    public Redirect followRedirects() {
        return client.followRedirects();
    }

    @Override
    public Optional<ProxySelector> proxy() {
        return client.proxy();
    }

    @Override
    public SSLContext sslContext() {
        return client.sslContext();
    }

    @Override
    public SSLParameters sslParameters() {
        return client.sslParameters();
    }

    @Override
    public Optional<Authenticator> authenticator() {
        return client.authenticator();
    }

    @Override
    public Version version() {
        return client.version();
    }

    @Override
    public Optional<Executor> executor() {
        return client.executor();
    }

    @Override
    public void close() {
        client.shutdownNow();
    }
}
