package io.javaoverlay.kube;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseSnapshot;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * The watch of every node's lease: a fabric8 informer on nodes (list, then watch; it reconnects
 * after a dropped connection or an API server restart, and lists again when its resource version
 * has expired, 410 Gone, turning the difference into add, update and delete callbacks), whose
 * callbacks are turned into {@link LeaseStore.KeyEvent}s by comparing each node's lease with the
 * one last seen for that node name. A node whose podCIDR changed (deleted and created again) is
 * the old subnet deleted and the new one put; a node deleted, or one whose annotations turned
 * malformed, is its subnet deleted: its routes go.
 *
 * <p>When the informer's first listing is complete, the listener gets it as a
 * {@link LeaseStore.Listener#onResync resync}, so whatever changed between the caller's snapshot
 * and the informer's start is reported as a difference. Every listener call runs on one thread,
 * in order.
 */
final class NodeWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeWatch.class);

    private final NodeLeases leases;
    private final NodeSkips skips;
    private final LeaseStore.Listener listener;
    private final OverlayMetrics metrics;
    private final ExecutorService thread;
    private final ScheduledExecutorService monitor;
    private final SharedIndexInformer<Node> informer;
    // confined to `thread`
    private final Map<String, Lease> byNode = new HashMap<>();
    private boolean watching = true;
    private volatile boolean closed;

    NodeWatch(KubernetesClient client, NodeLeases leases, NodeSkips skips, LeaseStore.Listener listener, OverlayMetrics metrics) {
        this.metrics = metrics;
        this.leases = leases;
        this.skips = skips;
        this.listener = listener;
        this.thread = DaemonThreads.executor("node-watch");
        this.monitor = DaemonThreads.scheduler("node-watch-monitor");
        this.informer = client.nodes().runnableInformer(0);
        informer.addEventHandler(new ResourceEventHandler<Node>() {
            @Override
            public void onAdd(Node n) {
                submit(() -> changed(name(n), Optional.of(n)));
            }

            @Override
            public void onUpdate(Node oldNode, Node n) {
                submit(() -> changed(name(n), Optional.of(n)));
            }

            @Override
            public void onDelete(Node n, boolean finalStateUnknown) {
                submit(() -> changed(name(n), Optional.empty()));
            }
        });
        // keep trying whatever went wrong (API server down at start, a refused list): the agent runs on
        informer.exceptionHandler((started, t) -> {
            if (!closed) {
                LOG.warn("the node watch failed ({}); retrying", t.toString());
            }
            return !closed;
        });
        informer.start().whenComplete((ok, failed) -> {
            if (failed == null) {
                submit(this::resync);
            }
        });
        monitor.scheduleWithFixedDelay(this::checkConnection, 1, 1, TimeUnit.SECONDS);
    }

    private void submit(Runnable r) {
        if (closed) {
            return;
        }
        thread.execute(() -> {
            if (closed) {
                return;
            }
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("handling a node event failed: {}", e.toString(), e);
            }
        });
    }

    /** The informer's complete view, as a resync: the difference from the caller's snapshot reaches the agent. */
    private void resync() {
        byNode.clear();
        List<Lease> all = new ArrayList<>();
        for (Node n : informer.getStore().list()) {
            leaseOf(n).ifPresent(l -> {
                byNode.put(name(n), l);
                all.add(l);
            });
        }
        LOG.info("watching {} nodes ({} with a lease)", informer.getStore().list().size(), all.size());
        listener.onResync(new LeaseSnapshot(all, 0));
    }

    private void changed(String name, Optional<Node> now) {
        Optional<Lease> next = now.flatMap(this::leaseOf);
        if (now.isEmpty()) {
            skips.forget(name);
        }
        Lease before = next.isPresent() ? byNode.put(name, next.get()) : byNode.remove(name);
        List<LeaseStore.KeyEvent> events = new ArrayList<>(2);
        if (before != null && (next.isEmpty() || !before.id().equals(next.get().id()))) {
            events.add(new LeaseStore.KeyEvent.Deleted(before.id()));
        }
        if (next.isPresent() && (before == null || !before.equals(next.get()))) {
            events.add(new LeaseStore.KeyEvent.Put(next.get()));
        }
        if (!events.isEmpty()) {
            if (now.isEmpty()) {
                LOG.info("node {} was deleted: its subnet {} goes", name, before.id());
            }
            listener.onEvents(events);
        }
    }

    private Optional<Lease> leaseOf(Node n) {
        NodeLeases.Read r = leases.read(n);
        r.skipped().ifPresent(s -> skips.report(name(n), NodeLeases.annotations(n).toString() + n.getSpec(), s));
        if (r.skipped().isEmpty()) {
            skips.forget(name(n));
        }
        return r.lease();
    }

    /** The node as the informer holds it, while its view is current (synced and watching); empty otherwise or when it has none. */
    Optional<Node> cached(String name) {
        if (closed || !informer.hasSynced() || !informer.isWatching()) {
            return Optional.empty();
        }
        return Optional.ofNullable(informer.getStore().getByKey(name));
    }

    /** Tells the listener when the informer's watch drops and when it is back (for logs and health). */
    private void checkConnection() {
        boolean now = informer.isWatching();
        if (now == watching || closed) {
            return;
        }
        watching = now;
        submit(() -> {
            if (now) {
                metrics.watchResynced("kube-reconnected");
                listener.onReconnected();
            } else {
                listener.onDisconnected(new IllegalStateException("the node watch is not connected to the API server"));
            }
        });
    }

    private static String name(Node n) {
        return n.getMetadata().getName();
    }

    @Override
    public void close() {
        closed = true;
        informer.close();
        monitor.shutdownNow();
        thread.shutdownNow();
    }
}
