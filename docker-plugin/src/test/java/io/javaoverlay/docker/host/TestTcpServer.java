package io.javaoverlay.docker.host;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The TCP server the relay's tests and benchmark put behind a relay: a daemon thread accepting
 * on an ephemeral port, and per client a daemon thread running the handler. Test sources only.
 */
final class TestTcpServer {

    /** Serves one client; its socket is closed when this returns, and an IOException (the client went) ends it quietly. */
    @FunctionalInterface
    interface Handler {
        void handle(Socket s) throws IOException;
    }

    private TestTcpServer() {}

    /** Listens on {@code at} until the returned socket is closed. */
    static ServerSocket start(InetAddress at, Handler handler) throws IOException {
        ServerSocket s = new ServerSocket(0, 200, at);
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try {
                    Socket c = s.accept();
                    Thread h = new Thread(() -> {
                        try (c) {
                            handler.handle(c);
                        } catch (IOException e) {
                            // the client went, or the test closed the socket
                        }
                    });
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return s;
    }
}
