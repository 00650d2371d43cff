package dev.sluice.gateway.remote;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny h2c server written frame by frame, for what a real server will not do on demand: it answers the client's
 * preface and SETTINGS, then meets every request's HEADERS with either {@code RST_STREAM(REFUSED_STREAM)} or
 * {@code GOAWAY(last-stream-id = 0)}, or never answers it, and keeps the connection open until
 * {@link #resetConnections()}. Counts the requests it saw.
 */
final class RawH2Server implements AutoCloseable {
    enum Answer { REFUSED_STREAM, GOAWAY, NEVER }

    private static final int HEADERS = 0x1;
    private static final int RST_STREAM = 0x3;
    private static final int SETTINGS = 0x4;
    private static final int GOAWAY = 0x7;

    private final ServerSocket server;
    private final Answer answer;
    final AtomicInteger requests = new AtomicInteger();
    private final Thread acceptor;
    private final java.util.List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();

    RawH2Server(Answer answer) throws IOException {
        this.answer = answer;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                accepted.add(socket);
                Thread.ofVirtual().start(() -> serve(socket));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            in.readFully(new byte[24]); // PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n
            frame(out, SETTINGS, 0, 0, new byte[0]);
            while (true) {
                byte[] header = new byte[9];
                in.readFully(header);
                int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
                int type = header[3] & 0xff;
                int flags = header[4] & 0xff;
                int stream = ByteBuffer.wrap(header, 5, 4).getInt() & 0x7fffffff;
                in.readFully(new byte[length]);
                if (type == SETTINGS && (flags & 0x1) == 0) {
                    frame(out, SETTINGS, 0x1, 0, new byte[0]);
                } else if (type == HEADERS) {
                    requests.incrementAndGet();
                    if (answer == Answer.NEVER) {
                        continue;
                    }
                    if (answer == Answer.REFUSED_STREAM) {
                        frame(out, RST_STREAM, 0, stream, ByteBuffer.allocate(4).putInt(0x7).array());
                    } else {
                        frame(out, GOAWAY, 0, 0, ByteBuffer.allocate(8).putInt(0).putInt(0).array());
                    }
                }
            }
        } catch (IOException ended) {
            // the client went away
        }
    }

    private static synchronized void frame(OutputStream out, int type, int flags, int stream, byte[] payload)
            throws IOException {
        ByteBuffer frame = ByteBuffer.allocate(9 + payload.length);
        frame.put((byte) (payload.length >>> 16)).put((byte) (payload.length >>> 8)).put((byte) payload.length);
        frame.put((byte) type).put((byte) flags).putInt(stream).put(payload);
        out.write(frame.array());
        out.flush();
    }

    /**
     * Ends every accepted connection as the kernel does for a killed worker process whose socket had nothing unread:
     * a FIN now, and (the process being gone) nothing read or answered after it, while the address still listens: a
     * worker restarted on the same address within a liveness interval looks exactly like this to a gateway.
     *
     * <p>Not an abortive close ({@code SO_LINGER 0}): that sends an RST right behind the FIN, which is what a killed
     * process does only when it left bytes unread, and it races the client. Helidon 4.5.0's reader answers the FIN by
     * writing a GOAWAY before it closes the socket; when the RST has already arrived (its reader woke late, as under
     * CPU load) that write throws, the reader ends without closing the socket, and the call waits for its timeout.
     * The connections probed by the gateway's liveness check are among the accepted ones and may have ended already.
     */
    void resetConnections() throws IOException {
        for (Socket socket : accepted) {
            try {
                socket.shutdownOutput(); // its serving thread reads on, and closes when the client ends
            } catch (java.net.SocketException alreadyEnded) {
                // a liveness probe's connection, closed by its serving thread: nothing left to end
            }
        }
        accepted.clear();
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
    }
}
