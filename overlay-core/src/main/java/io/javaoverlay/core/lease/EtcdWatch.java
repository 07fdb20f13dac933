package io.javaoverlay.core.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;

import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * One long-lived watch of the lease keys, resumed from the next unseen revision after every
 * disconnection with exponential backoff (100 ms doubling to 5 s), and turned into a full
 * re-list when etcd has compacted the revisions it missed.
 *
 * <p>jetcd would resume a broken watch by itself, but at a fixed 500 ms and without telling us
 * when it is back; so each attempt is a fresh jetcd watcher that is closed at its first error,
 * and all callbacks are funnelled onto one thread, in order, tagged with their attempt so a
 * late callback from a closed attempt is dropped.
 */
final class EtcdWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);
    private static final Duration MIN_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

    private final EtcdLeaseStore store;
    private final Watch watchClient;
    private final ByteSequence prefix;
    private final LeaseStore.Listener listener;
    private final OverlayMetrics metrics;
    private final ScheduledExecutorService thread;

    // confined to `thread`
    private long nextRevision;
    private int attempt;
    private Watch.Watcher current;
    private Duration backoff = MIN_BACKOFF;
    private boolean disconnected;
    private volatile boolean closed;

    EtcdWatch(EtcdLeaseStore store, Watch watchClient, ByteSequence prefix, long fromRevision, LeaseStore.Listener listener,
              OverlayMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
        this.watchClient = watchClient;
        this.prefix = prefix;
        this.nextRevision = fromRevision;
        this.listener = listener;
        this.thread = DaemonThreads.scheduler("lease-watch");
    }

    void start() {
        thread.execute(this::open);
    }

    private void open() {
        if (closed) {
            return;
        }
        int id = ++attempt;
        LOG.debug("watching {} from revision {}", prefix, nextRevision);
        WatchOption option = WatchOption.builder().isPrefix(true).withRevision(nextRevision)
                // created-notify tells us the stream is up again even when nothing changed meanwhile
                .withCreateNotify(true)
                .withRequireLeader(true)
                .build();
        try {
            current = watchClient.watch(prefix, option, new Watch.Listener() {
                @Override
                public void onNext(WatchResponse response) {
                    submit(id, () -> handle(response));
                }

                @Override
                public void onError(Throwable error) {
                    submit(id, () -> failed(error));
                }

                @Override
                public void onCompleted() {
                    submit(id, () -> failed(new IllegalStateException("etcd closed the watch")));
                }
            });
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void submit(int id, Runnable r) {
        if (closed) {
            return;
        }
        try {
            thread.execute(() -> {
                if (id == attempt && !closed) {
                    r.run();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void handle(WatchResponse response) {
        if (disconnected) {
            disconnected = false;
            LOG.info("lease watch resumed at revision {}", nextRevision);
            metrics.etcdReconnected();
            listener.onReconnected();
        }
        backoff = MIN_BACKOFF;
        List<WatchEvent> events = response.getEvents();
        if (events.isEmpty()) {
            return;
        }
        List<LeaseStore.KeyEvent> out = new ArrayList<>(events.size());
        for (WatchEvent e : events) {
            nextRevision = Math.max(nextRevision, e.getKeyValue().getModRevision() + 1);
            switch (e.getEventType()) {
                case PUT -> store.toLease(e.getKeyValue()).ifPresent(l -> out.add(new LeaseStore.KeyEvent.Put(l)));
                case DELETE -> store.subnetOfKey(e.getKeyValue().getKey()).ifPresent(s -> out.add(new LeaseStore.KeyEvent.Deleted(s)));
                default -> LOG.debug("ignoring watch event {}", e.getEventType());
            }
        }
        if (!out.isEmpty()) {
            listener.onEvents(out);
        }
    }

    private void failed(Throwable error) {
        closeCurrent();
        if (closed) {
            return;
        }
        attempt++; // drop anything still queued from the failed attempt
        if (error instanceof CompactedException c) {
            LOG.warn("lease watch fell behind etcd's compaction (compacted at revision {}, wanted {}): re-listing",
                    c.getCompactedRevision(), nextRevision);
            metrics.watchResynced("compacted");
            resync();
            return;
        }
        if (!disconnected) {
            disconnected = true;
            LOG.warn("lease watch on {} lost: {}; retrying with backoff", store.describe(), describe(error));
            listener.onDisconnected(error);
        } else {
            LOG.debug("lease watch still down: {}", describe(error));
        }
        retryLater(this::open);
    }

    private void resync() {
        if (closed) {
            return;
        }
        LeaseSnapshot snapshot;
        try {
            snapshot = store.list();
        } catch (LeaseException e) {
            LOG.warn("re-listing leases failed: {}; retrying", e.getMessage());
            retryLater(this::resync);
            return;
        }
        nextRevision = snapshot.revision() + 1;
        backoff = MIN_BACKOFF;
        listener.onResync(snapshot);
        open();
    }

    private void retryLater(Runnable r) {
        Duration wait = backoff;
        backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        try {
            thread.schedule(() -> {
                if (!closed) {
                    r.run();
                }
            }, wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void closeCurrent() {
        Watch.Watcher w = current;
        current = null;
        if (w != null) {
            try {
                w.close();
            } catch (RuntimeException e) {
                LOG.debug("closing a failed watcher: {}", e.toString());
            }
        }
    }

    private static String describe(Throwable t) {
        Throwable c = EtcdLeaseStore.rootCause(t);
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.submit(this::closeCurrent).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("closing the lease watch: {}", e.toString());
        }
        thread.shutdownNow();
    }
}
