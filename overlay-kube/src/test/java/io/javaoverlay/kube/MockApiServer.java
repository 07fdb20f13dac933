package io.javaoverlay.kube;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.concurrent.CountDownLatch;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * The API server of the tests: fabric8's mock server in CRUD mode (a real HTTP server that
 * keeps the objects it is sent and serves lists and watches of them; no Kubernetes API server
 * can run on the test machines). It can be stopped and started again on the same port with the
 * same objects (an API server restart: its state lives in etcd), and it can answer watches with
 * 410 Gone, as an API server does when the client's resource version has been compacted away.
 *
 * <p>Also a program ({@link #main}): the end-to-end tests run it inside a network namespace, on
 * an address the namespace hosts reach.
 */
public final class MockApiServer implements AutoCloseable {

    private final InetAddress address;
    private final int port;
    private final GoneDispatcher objects = new GoneDispatcher();
    private KubernetesMockServer server;

    /** The CRUD dispatcher, which can refuse watches with 410 Gone. */
    static final class GoneDispatcher extends KubernetesCrudDispatcher {
        volatile boolean gone;
        final java.util.concurrent.atomic.AtomicInteger watchesServed = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            if (gone && request.getPath() != null && request.getPath().contains("watch=true")) {
                // what an API server answers a watch from a compacted resource version: an ERROR event with 410
                return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                    @Override
                    public void onOpen(WebSocket ws, Response response) {
                        ws.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                                + "\"status\":\"Failure\",\"message\":\"too old resource version\",\"reason\":\"Expired\",\"code\":410}}");
                        ws.close(1000, "");
                    }
                });
            }
            MockResponse r = super.dispatch(request);
            if (request.getPath() != null && request.getPath().contains("watch=true")) {
                watchesServed.incrementAndGet();
            }
            return r;
        }
    }

    private MockApiServer(InetAddress address, int port) {
        this.address = address;
        this.port = port;
    }

    /** A started server on a free port of 127.0.0.1. */
    public static MockApiServer start() {
        return startOn(InetAddress.getLoopbackAddress(), freePort());
    }

    public static MockApiServer startOn(InetAddress address, int port) {
        MockApiServer s = new MockApiServer(address, port);
        s.up();
        return s;
    }

    /** A server that is not started yet (an API server that is down when the agent starts): {@link #up} starts it. */
    public static MockApiServer notStarted() {
        return new MockApiServer(InetAddress.getLoopbackAddress(), freePort());
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts (again) on the same address and port, with the objects it held. */
    public synchronized void up() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), objects, false);
        server.init(address, port);
    }

    /** Stops, dropping every connection and watch; the objects are kept for {@link #up}. */
    public synchronized void down() {
        if (server != null) {
            try {
                server.destroy();
            } catch (IllegalStateException e) {
                // Vert.x reports connections it had to cut (an open watch) as a failure to close; it is closed
            }
            server = null;
        }
    }

    /** While true, every watch is answered 410 Gone: clients must list again. */
    public void watchesGone(boolean gone) {
        objects.gone = gone;
    }

    /**
     * Watches answered (not refused) so far. The mock keeps no history of events, unlike an API
     * server: a change made between a client's listing and its watch is never sent to it, so a test
     * waits for the watch before changing what it should see.
     */
    public int watchesServed() {
        return objects.watchesServed.get();
    }

    /** Requests served since this server (this incarnation) started. */
    public synchronized int requests() {
        return server == null ? 0 : server.getRequestCount();
    }

    public String url() {
        return "http://" + address.getHostAddress() + ":" + port;
    }

    /** A client of this server, for the test's own requests (creating and changing nodes). */
    public KubernetesClient client() {
        return new io.fabric8.kubernetes.client.KubernetesClientBuilder()
                .withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(io.fabric8.kubernetes.client.Config.empty())
                        .withMasterUrl(url()).withRequestRetryBackoffLimit(3).build())
                .build();
    }

    @Override
    public void close() {
        down();
    }

    /** {@code MockApiServer ADDRESS PORT}: serves until killed; prints "listening on URL" once it does. */
    public static void main(String[] args) throws InterruptedException, IOException {
        MockApiServer s = startOn(InetAddress.getByName(args[0]), Integer.parseInt(args[1]));
        System.out.println("listening on " + s.url());
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
