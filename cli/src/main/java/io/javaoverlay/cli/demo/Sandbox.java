package io.javaoverlay.cli.demo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.javaoverlay.core.sandbox.Namespaces;
import io.javaoverlay.core.process.ProcessTrees;
import io.javaoverlay.core.sandbox.SandboxException;

/**
 * Everything the demo creates, so that all of it goes away again: network namespaces (all named
 * with the run's random prefix), the processes it started (tracked by PID) and its temporary
 * directory. Nothing is created in the root network namespace.
 *
 * <p>{@link #close()} runs from the demo's {@code finally} and from a JVM shutdown hook (Ctrl-C,
 * SIGTERM), whichever comes first; the second call does nothing. Creating something holds the
 * same lock as closing, and a closed sandbox refuses to create more, so a namespace or process
 * made while Ctrl-C is being handled cannot slip past the cleanup.
 */
final class Sandbox implements AutoCloseable {

    /** Time an agent gets to stop on SIGTERM before it is killed. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);

    private final Namespaces namespaces;
    private final Path dir;
    private final List<Started> processes = new ArrayList<>();
    private final Thread hook;
    private final Progress progress;
    private boolean closed;
    private boolean keepDir;

    /** A started process and what the demo calls it. */
    record Started(String name, Process process, Path log) {}

    Sandbox(String prefix, Progress progress) {
        this.namespaces = new Namespaces(prefix);
        this.progress = progress;
        try {
            this.dir = Files.createTempDirectory(prefix + "-");
        } catch (IOException e) {
            throw new DemoException("cannot create a temporary directory: " + e.getMessage());
        }
        hook = new Thread(() -> {
            progress.interrupted();
            close();
        }, "demo cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    String prefix() {
        return namespaces.prefix();
    }

    /** The run's namespaces, for {@link io.javaoverlay.core.sandbox.UnderlayTopology}. */
    Namespaces namespaces() {
        return namespaces;
    }

    /** The run's temporary directory (leases, subnet files, logs). */
    Path dir() {
        return dir;
    }

    /** Creates namespace {@code PREFIX-suffix} with its loopback up. */
    synchronized String createNamespace(String suffix) {
        requireOpen();
        try {
            return namespaces.create(suffix);
        } catch (SandboxException e) {
            throw new DemoException(e.getMessage());
        }
    }

    /** Runs iproute2 commands (one per line) inside namespace {@code ns}. */
    void ip(String ns, String commands) {
        try {
            namespaces.ip(ns, commands);
        } catch (SandboxException e) {
            throw new DemoException(e.getMessage());
        }
    }

    /**
     * Starts {@code command} inside namespace {@code ns} ({@code ip netns exec} switches and
     * then execs it, so the PID is the command's own), output to {@code log}.
     */
    synchronized Started start(String name, String ns, List<String> command, Map<String, String> env, Path log) {
        requireOpen();
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(full)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_") || k.startsWith("CNI_") || k.startsWith("ETCD"));
        pb.environment().putAll(env);
        try {
            Started s = new Started(name, pb.start(), log);
            processes.add(s);
            return s;
        } catch (IOException e) {
            throw new DemoException("cannot start " + name + ": " + e.getMessage());
        }
    }

    /** Stops one started process now (SIGTERM, then SIGKILL after the grace time). */
    void stop(Started s) {
        ProcessTrees.stop(s.process().toHandle(), STOP_GRACE);
        synchronized (this) {
            processes.remove(s);
        }
    }

    /** Keeps the temporary directory (with the agents' logs) after the run, e.g. after a failure. */
    synchronized void keepDirectory() {
        keepDir = true;
    }

    private void requireOpen() {
        if (closed) {
            throw new DemoException("the demo is shutting down");
        }
    }

    /** Whether {@link #close()} has begun (Ctrl-C). */
    synchronized boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            progress.step("cleaning up: stopping " + processes.size() + " processes, deleting " + namespaces.created().size()
                    + " namespaces");
            // agents first: on SIGTERM they close their backends while their namespaces still exist
            List<Started> procs = new ArrayList<>(processes);
            Collections.reverse(procs);
            procs.parallelStream().forEach(s -> {
                if (!ProcessTrees.stop(s.process().toHandle(), STOP_GRACE)) {
                    synchronized (problems) {
                        problems.add(s.name() + " (pid " + s.process().pid() + ") did not exit");
                    }
                }
            });
            processes.clear();
            problems.addAll(namespaces.deleteAll(Namespaces.Inside.REPORT));
            if (keepDir) {
                progress.note("logs kept in " + dir);
            } else {
                deleteDir(problems);
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // running inside the hook itself, or the JVM is exiting: nothing to remove
        }
        if (problems.isEmpty()) {
            progress.done("cleaned up: no namespaces, processes or files of " + prefix() + " left");
        } else {
            progress.fail("cleanup left something behind: " + String.join("; ", problems));
        }
    }

    private void deleteDir(List<String> problems) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            problems.add("cannot delete " + dir + ": " + e.getMessage());
        }
        if (Files.exists(dir)) {
            problems.add("cannot delete " + dir);
        }
    }
}
