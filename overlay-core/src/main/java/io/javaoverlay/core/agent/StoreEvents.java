package io.javaoverlay.core.agent;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * What the agent did about the store lately (its lease put back, given up, the store's history
 * changed, a VTEP MAC collision), for {@code /status} and {@code javaoverlay status}: the log says
 * it too, but an operator asks the host. Keeps the last {@link #KEPT}. Thread-safe: the event
 * loop adds, the HTTP server reads.
 */
final class StoreEvents {

    static final int KEPT = 10;

    /** One thing that happened. */
    record Entry(Instant time, String event) {}

    private final Deque<Entry> recent = new ArrayDeque<>();

    synchronized void add(String event) {
        if (recent.size() == KEPT) {
            recent.removeFirst();
        }
        recent.addLast(new Entry(Instant.now(), event));
    }

    /** Oldest first. */
    synchronized List<Entry> recent() {
        return List.copyOf(recent);
    }
}
