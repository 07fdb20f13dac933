package io.javaoverlay.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

import io.javaoverlay.core.threads.DaemonThreads;

/**
 * Tasks a test starts at the same moment, such as pings from every host that are timed together,
 * or one it starts while it watches for the task's effect (a late host's agent starting while
 * the test times its lease). Each gets a thread of its own, on any machine: the tasks wait on
 * other processes (ping, docker exec, an agent), not on this JVM's cores, and a task's timing must
 * not include another's. (The common pool would queue them on a machine with more cores, and a
 * single-thread executor that is never shut down leaks its thread.)
 */
public final class Parallel {

    private Parallel() {}

    /** Runs the tasks at once and returns their results in order; the first task's failure is thrown as it was. */
    public static <T> List<T> all(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<T> results = new ArrayList<>();
            for (Future<T> f : pool.invokeAll(tasks)) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Starts {@code task} now, on a daemon thread of its own named {@code name}, and returns its
     * future: {@code get} gives its result or throws its failure as the {@link ExecutionException}'s cause.
     */
    public static <T> Future<T> start(String name, Callable<T> task) {
        FutureTask<T> future = new FutureTask<>(task);
        DaemonThreads.thread(name, future).start();
        return future;
    }
}
