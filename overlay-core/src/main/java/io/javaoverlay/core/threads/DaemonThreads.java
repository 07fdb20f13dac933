package io.javaoverlay.core.threads;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The one-thread executors the agent's helpers run their own work on (a lease poll, the etcd
 * watch, the systemd watchdog, the Kubernetes node watch): one named daemon thread each, so a
 * thread dump says whose it is and none of them keeps the JVM alive after the agent's own
 * shutdown path has run. Their owners shut them down.
 */
public final class DaemonThreads {

    private DaemonThreads() {}

    /** A scheduler with one daemon thread named {@code name}. */
    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(factory(name));
    }

    /** An executor with one daemon thread named {@code name}, running tasks in the order given. */
    public static ExecutorService executor(String name) {
        return Executors.newSingleThreadExecutor(factory(name));
    }

    /**
     * Stops {@code executor} for its owner's {@code close()}: interrupts what it runs and waits up to
     * {@code wait} for that to end, so the owner's resources are not closed under a running task.
     * An interrupt while waiting is kept for the caller.
     */
    public static void stop(ExecutorService executor, Duration wait) {
        executor.shutdownNow();
        try {
            executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Daemon threads named {@code name}, for a pool. */
    public static ThreadFactory factory(String name) {
        return r -> thread(name, r);
    }

    /** A daemon thread named {@code name} that runs {@code body}, not started yet. */
    public static Thread thread(String name, Runnable body) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        return t;
    }
}
