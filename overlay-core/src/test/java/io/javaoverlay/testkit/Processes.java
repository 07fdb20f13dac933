package io.javaoverlay.testkit;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Stopping processes the tests started: always by handle (PID), with their descendants. */
final class Processes {

    private Processes() {}

    /**
     * Sends SIGTERM to the process and its descendants, waits up to {@code grace}, then
     * SIGKILLs whatever is left and waits for it to be gone.
     */
    static void kill(ProcessHandle process, Duration grace) {
        List<ProcessHandle> tree = new java.util.ArrayList<>(process.descendants().toList());
        tree.add(process);
        if (!grace.isZero()) {
            tree.forEach(ProcessHandle::destroy);
            waitGone(tree, grace);
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        waitGone(tree, Duration.ofSeconds(10));
    }

    private static void waitGone(List<ProcessHandle> processes, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ProcessHandle p : processes) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                p.onExit().get(left, TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                // still alive (or not our child to wait for): the caller escalates
            }
        }
    }
}
