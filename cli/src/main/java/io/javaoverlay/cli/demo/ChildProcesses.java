package io.javaoverlay.cli.demo;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stops processes the demo started, by their handle (PID), descendants first. */
final class ChildProcesses {

    private ChildProcesses() {}

    /**
     * SIGTERM to the process and its descendants, then SIGKILL to whatever is left after
     * {@code grace}. Returns whether everything is gone.
     */
    static boolean kill(ProcessHandle process, Duration grace) {
        List<ProcessHandle> all = new java.util.ArrayList<>(process.descendants().toList());
        all.add(process);
        if (!grace.isZero()) {
            all.forEach(ProcessHandle::destroy);
            long deadline = System.nanoTime() + grace.toNanos();
            for (ProcessHandle h : all) {
                awaitExit(h, Math.max(0, deadline - System.nanoTime()));
            }
        }
        for (ProcessHandle h : all) {
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        boolean gone = true;
        for (ProcessHandle h : all) {
            gone &= awaitExit(h, TimeUnit.SECONDS.toNanos(5));
        }
        return gone;
    }

    private static boolean awaitExit(ProcessHandle h, long nanos) {
        try {
            h.onExit().get(nanos, TimeUnit.NANOSECONDS);
            return true;
        } catch (java.util.concurrent.TimeoutException e) {
            return !h.isAlive();
        } catch (java.util.concurrent.ExecutionException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }
}
