package io.javaoverlay.kube;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import io.fabric8.kubernetes.client.KubernetesClient;

import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * A test of the Kubernetes store against a fresh fabric8 mock API server in CRUD mode per test:
 * {@code kubectl} is a client of it; what a test adds to {@code closing} (stores, watches) is
 * closed in the list's order after the test, then the client and the server.
 */
abstract class MockApiServerTest {

    @TempDir
    Path dir;
    MockApiServer api;
    KubernetesClient kubectl;
    final List<AutoCloseable> closing = new ArrayList<>();
    /** The stores' metrics: this test's own. */
    final OverlayMetrics metrics = new OverlayMetrics();

    @BeforeEach
    void apiServer() {
        api = MockApiServer.start();
        kubectl = api.client();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
        kubectl.close();
        api.close();
    }
}
