package dev.sluice.client;

import java.security.Provider;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * The TLS context given to the JDK's HTTP client for an {@code http://} server. Without one the client sets up the
 * default context at construction, even for plain HTTP: the security providers, {@code java.security}, the
 * {@code cacerts} key store (hundreds of classes and file reads, a large part of a command's start time). This one
 * touches nothing; anything that would use it (there is nothing over http without redirects, and the client follows
 * none) fails loudly instead of speaking TLS without verification.
 */
final class NoTls extends SSLContext {
    private static final Provider PROVIDER = new Provider("sluice-no-tls", "1", "no TLS for http:// servers") {
        private static final long serialVersionUID = 1L;
    };

    NoTls() {
        super(new Spi(), PROVIDER, "none");
    }

    private static final class Spi extends SSLContextSpi {
        private static UnsupportedOperationException unused() {
            return new UnsupportedOperationException("no TLS: the server's URL is http://");
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random) {
            throw unused();
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            throw unused();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            throw unused();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            throw unused();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            throw unused();
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            throw unused();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            throw unused();
        }
    }
}
