package dev.sluice.client;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;

/**
 * A request body that reports how many of its bytes the connection has taken, by counting the buffers it hands on.
 * Streams from the delegate (a file, say) without holding the body in memory. A body re-sent (a redirect, a retried
 * connection) counts again from zero.
 */
final class CountingPublisher implements HttpRequest.BodyPublisher {
    private final HttpRequest.BodyPublisher delegate;
    private final UploadProgress progress;

    CountingPublisher(HttpRequest.BodyPublisher delegate, UploadProgress progress) {
        this.delegate = delegate;
        this.progress = progress;
    }

    @Override
    public long contentLength() {
        return delegate.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        long total = delegate.contentLength();
        delegate.subscribe(new Flow.Subscriber<>() {
            private long sent;

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                progress.uploaded(0, total);
                subscriber.onSubscribe(subscription);
            }

            @Override
            public void onNext(ByteBuffer item) {
                // Counted before handing on: the subscriber may consume the buffer.
                sent += item.remaining();
                subscriber.onNext(item);
                progress.uploaded(sent, total);
            }

            @Override
            public void onError(Throwable throwable) {
                subscriber.onError(throwable);
            }

            @Override
            public void onComplete() {
                subscriber.onComplete();
            }
        });
    }
}
