package dev.sluice.config.vault;

import java.io.IOException;
import java.net.Authenticator;
import java.net.CookieHandler;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * The session's one HTTP client, which gives every request the {@code vault-timeout-ms} bound. The driver can only
 * set whole seconds on a request (and none when given a client), so this wrapper sets the millisecond timeout on each
 * request it sends; connect time is bounded by the wrapped client's connect timeout.
 */
final class BoundedHttpClient extends HttpClient {
    private final HttpClient client;
    private final Duration timeout;

    private BoundedHttpClient(HttpClient client, Duration timeout) {
        this.client = client;
        this.timeout = timeout;
    }

    static BoundedHttpClient create(Duration timeout) {
        // HTTP/1.1 as the driver does on its own: a Vault Agent proxying h2c to https fails.
        return new BoundedHttpClient(HttpClient.newBuilder().version(Version.HTTP_1_1).connectTimeout(timeout)
                .followRedirects(Redirect.NEVER).build(), timeout);
    }

    private HttpRequest bounded(HttpRequest request) {
        return HttpRequest.newBuilder(request, (name, value) -> true).timeout(timeout).build();
    }

    @Override
    public <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        return client.send(bounded(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        return client.sendAsync(bounded(request), handler);
    }

    @Override
    public <T> CompletableFuture<HttpResponse<T>> sendAsync(HttpRequest request, HttpResponse.BodyHandler<T> handler,
            HttpResponse.PushPromiseHandler<T> push) {
        return client.sendAsync(bounded(request), handler, push);
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
