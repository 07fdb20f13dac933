package io.javaoverlay.docker.server;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.docker.HostLease;
import io.javaoverlay.docker.PluginException;

/**
 * Holds calls that need this host's lease until the agent has one. {@code javaoverlay
 * docker-plugin} opens the socket first and gets its lease after (etcd may be slow or not up
 * yet), and dockerd calls as soon as the socket exists (a {@code docker network create}, or
 * containers with a restart policy after a reboot): such a call waits up to {@code maxWait}
 * instead of failing at once with "subnet.env does not exist".
 *
 * <p>A held call pins no thread and no lock: the lease is polled on Jetty's scheduler, and the
 * call goes on on Jetty's pool when the lease is there or the wait is over. So the handshake,
 * the capabilities and every call that does not need a lease (a Leave, a Delete) are answered
 * at once meanwhile, however many calls wait.
 */
final class LeaseGate {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseGate.class);

    /** How often a held call looks for the lease: subnet.env appears once, a read costs microseconds. */
    static final Duration POLL = Duration.ofMillis(100);

    private final HostLease lease;
    private final Duration maxWait;

    LeaseGate(HostLease lease, Duration maxWait) {
        if (maxWait == null || maxWait.isNegative()) {
            throw new IllegalArgumentException("the lease wait must be zero or more, got " + maxWait);
        }
        this.lease = lease;
        this.maxWait = maxWait;
    }

    /**
     * Runs {@code then} with null once the host has a lease (at once, on the calling thread,
     * when it has one now), or with the reason when {@code maxWait} passes without one.
     */
    void whenLeased(String method, Scheduler scheduler, Executor executor, Consumer<PluginException.NoLease> then) {
        PluginException.NoLease missing = missing();
        if (missing == null) {
            then.accept(null);
            return;
        }
        LOG.info("{} waits for this host's lease (up to {} s): {}", method, maxWait.toSeconds(), missing.getMessage());
        long deadline = System.nanoTime() + maxWait.toNanos();
        new Poll(method, deadline, scheduler, executor, then).schedule();
    }

    /** Null when the host has a lease now (or subnet.env is there but invalid: the call says so). */
    private PluginException.NoLease missing() {
        try {
            lease.current();
            return null;
        } catch (PluginException.NoLease e) {
            return e;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private final class Poll implements Runnable {
        private final String method;
        private final long deadline;
        private final Scheduler scheduler;
        private final Executor executor;
        private final Consumer<PluginException.NoLease> then;

        Poll(String method, long deadline, Scheduler scheduler, Executor executor, Consumer<PluginException.NoLease> then) {
            this.method = method;
            this.deadline = deadline;
            this.scheduler = scheduler;
            this.executor = executor;
            this.then = then;
        }

        void schedule() {
            long left = deadline - System.nanoTime();
            scheduler.schedule(this, Math.max(0, Math.min(POLL.toNanos(), left)), TimeUnit.NANOSECONDS);
        }

        @Override
        public void run() {
            PluginException.NoLease stillMissing = missing();
            if (stillMissing == null) {
                LOG.info("{}: the lease is there, going on", method);
                executor.execute(() -> then.accept(null));
            } else if (System.nanoTime() - deadline >= 0) {
                PluginException.NoLease timedOut = new PluginException.NoLease("after waiting " + maxWait.toSeconds() + " s, "
                        + stillMissing.getMessage(), stillMissing.getCause());
                executor.execute(() -> then.accept(timedOut));
            } else {
                schedule();
            }
        }
    }
}
