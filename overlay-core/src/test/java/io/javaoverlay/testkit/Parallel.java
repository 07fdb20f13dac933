package io.javaoverlay.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Tasks a test starts at the same moment, such as pings from every host that are timed together.
 * Each gets a thread of its own, on any machine: the tasks wait on other processes (ping, docker
 * exec), not on this JVM's cores, and a task's timing must not include another's.
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
}
