package io.javaoverlay.core.process;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Stopping a process that was started here, always by its handle (PID), together with its descendants. */
public final class ProcessTrees {

    /** How long SIGKILLed processes get to be reaped before they count as left behind. */
    private static final Duration REAP = Duration.ofSeconds(10);

    private ProcessTrees() {}

    /**
     * SIGTERM to the process and its descendants, SIGKILL to whatever is left after
     * {@code grace} (at once when it is zero), then waits for all of them to be gone.
     *
     * @return whether every process of the tree is gone
     */
    public static boolean stop(ProcessHandle process, Duration grace) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process);
        if (!grace.isZero()) {
            tree.forEach(ProcessHandle::destroy);
            awaitGone(tree, grace);
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        awaitGone(tree, REAP);
        return tree.stream().noneMatch(ProcessHandle::isAlive);
    }

    private static void awaitGone(List<ProcessHandle> tree, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle h : tree) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                h.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // still alive: the caller escalates or reports it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
