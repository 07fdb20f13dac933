package io.javaoverlay.kube;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * Reports nodes whose lease cannot be read: logged and counted once per change of what the node
 * says, not at every update of the node (the kubelet updates its node object every few minutes,
 * and a listing repeats every node).
 */
final class NodeSkips {

    private static final Logger LOG = LoggerFactory.getLogger(NodeSkips.class);

    private final Map<String, String> reported = new ConcurrentHashMap<>();
    private final OverlayMetrics metrics;

    NodeSkips(OverlayMetrics metrics) {
        this.metrics = metrics;
    }

    /** @param content what the node says now (its annotations and spec), to tell a new fault from the same one */
    void report(String node, String content, NodeLeases.Skip skip) {
        String key = skip.reason() + "\n" + content;
        if (key.equals(reported.put(node, key))) {
            return;
        }
        metrics.kubeNodeSkipped(skip.reason());
        LOG.warn("skipped node {}: {}; nothing of it is programmed", node, skip.detail());
    }

    void forget(String node) {
        reported.remove(node);
    }
}
