package io.javaoverlay.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.cni.server.CniSocketServer;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * The agent's {@code --cni-socket}: serves CNI calls when it can. Not serving is never fatal:
 * the plugin then runs as its own process, only slower to start, so the agent keeps its main
 * job (the host's network) and says in its log why it does not serve.
 */
final class CniSocket implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CniSocket.class);

    private final Optional<CniSocketServer> server;

    private CniSocket(Optional<CniSocketServer> server) {
        this.server = server;
    }

    /**
     * {@code path} empty: serves nothing. {@code group}: null or empty for a root-only socket. The
     * calls are counted on {@code metrics}, the agent's.
     */
    static CniSocket serve(String path, String group, OverlayMetrics metrics) {
        if (path == null || path.isBlank()) {
            return new CniSocket(Optional.empty());
        }
        try {
            return new CniSocket(Optional.of(CniSocketServer.start(Path.of(path), Optional.ofNullable(group), metrics)));
        } catch (IOException | RuntimeException e) {
            LOG.warn("not serving CNI calls on {}: {} (the CNI plugin still works, starting a JVM per call)", path, e.getMessage());
            return new CniSocket(Optional.empty());
        }
    }

    @Override
    public void close() {
        server.ifPresent(CniSocketServer::close);
    }
}
