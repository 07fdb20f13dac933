package io.javaoverlay.core.agent;

import java.time.Duration;

/**
 * The agent's proof of life: its one thread {@link #beat() beats} every time round its loops
 * (waiting for the config, acquiring the lease, draining events), which it does at least every
 * {@link Agent#BACKEND_RECHECK} once running and every few seconds before. Anyone may read how
 * long ago that was; the systemd watchdog keep-alive stops when it is too long.
 */
final class Heartbeat {

    private volatile long lastNanos = System.nanoTime();

    void beat() {
        lastNanos = System.nanoTime();
    }

    /** Time since the last beat. */
    Duration age() {
        return Duration.ofNanos(System.nanoTime() - lastNanos);
    }
}
