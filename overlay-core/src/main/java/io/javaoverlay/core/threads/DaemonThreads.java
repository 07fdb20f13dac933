package io.javaoverlay.core.threads;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

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
        return Executors.newSingleThreadScheduledExecutor(r -> thread(r, name));
    }

    /** An executor with one daemon thread named {@code name}, running tasks in the order given. */
    public static ExecutorService executor(String name) {
        return Executors.newSingleThreadExecutor(r -> thread(r, name));
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
