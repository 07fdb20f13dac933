package io.javaoverlay.core.sandbox;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import io.javaoverlay.core.process.Commands;
import io.javaoverlay.core.process.ProcessTrees;

/**
 * The network namespaces of one run, each named {@code PREFIX-suffix} with the run's random
 * prefix, so that two runs (or a run and anything else on the machine) never touch each other's.
 * A namespace is tracked before {@code ip netns add} runs, so a half-made one is deleted too (one
 * that exists already is refused, never adopted);
 * {@link #deleteAll} removes them newest first (containers, then hosts, then the underlay) and
 * refuses further {@link #create} calls, so nothing made during a cleanup slips past it.
 */
public final class Namespaces {

    /** What to do with processes still inside a namespace that is being deleted. */
    public enum Inside {
        /** SIGKILL them, by PID: in a test run they can only be the run's own (a forgotten server). */
        KILL,
        /** Leave them and report them: the demo names what it started, not what a user may have started there. */
        REPORT
    }

    private static final Duration IP_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{0,4}-[0-9a-f]{6}");

    private final String prefix;
    private final List<String> names = new ArrayList<>();
    private boolean deleting;

    /** @param prefix e.g. {@code jo-3fa9c1}, from {@link #randomPrefix(String)} */
    public Namespaces(String prefix) {
        if (!PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("a namespace prefix is a short tag, '-' and 6 hex digits, e.g. jo-3fa9c1; got " + prefix);
        }
        this.prefix = prefix;
    }

    /** {@code TAG-xxxxxx} with 6 random hex digits. */
    public static String randomPrefix(String tag) {
        return tag + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    }

    public String prefix() {
        return prefix;
    }

    /** {@code PREFIX-suffix}. */
    public String name(String suffix) {
        return prefix + "-" + suffix;
    }

    /** Creates namespace {@code PREFIX-suffix} with its loopback up, and returns its name. */
    public String create(String suffix) {
        String ns = name(suffix);
        synchronized (this) {
            if (deleting) {
                throw new SandboxException("not creating " + ns + ": the namespaces of " + prefix + " are being deleted");
            }
            if (names.contains(ns) || Files.exists(Path.of("/run/netns", ns))) {
                // not tracked: whoever made it deletes it
                throw new SandboxException("namespace " + ns + " exists already");
            }
            names.add(ns);
        }
        run(List.of("ip", "netns", "add", ns), null);
        ip(ns, "link set lo up");
        return ns;
    }

    /** Runs iproute2 commands, one per line, inside namespace {@code ns} ({@code ip -n NS -batch -}). */
    public void ip(String ns, String commands) {
        run(List.of("ip", "-n", ns, "-batch", "-"), commands + "\n");
    }

    /** The names made so far, oldest first. */
    public synchronized List<String> created() {
        return List.copyOf(names);
    }

    /** Whether {@link #deleteAll} has begun. */
    public synchronized boolean isDeleting() {
        return deleting;
    }

    /**
     * Deletes every namespace made here, newest first, after dealing with processes still inside
     * as {@code inside} says. Does all it can before it reports.
     *
     * @return what stayed behind, one line each; empty when everything is gone
     */
    public List<String> deleteAll(Inside inside) {
        List<String> all;
        synchronized (this) {
            deleting = true;
            all = new ArrayList<>(names);
            names.clear();
        }
        Collections.reverse(all);
        List<String> problems = new ArrayList<>();
        for (String ns : all) {
            processesInside(ns, inside, problems);
        }
        for (String ns : all) {
            Path path = Path.of("/run/netns", ns);
            if (!Files.exists(path)) {
                continue;
            }
            try {
                Commands.Result r = Commands.run(List.of("ip", "netns", "del", ns), Map.of(), List.of(), null, IP_TIMEOUT);
                if (!r.ok() && Files.exists(path)) {
                    problems.add(r.describe());
                }
            } catch (Commands.CommandException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    private static void processesInside(String ns, Inside inside, List<String> problems) {
        if (!Files.exists(Path.of("/run/netns", ns))) {
            return;
        }
        List<Long> pids = new ArrayList<>();
        try {
            for (String p : Commands.run(List.of("ip", "netns", "pids", ns), Map.of(), List.of(), null, IP_TIMEOUT).stdout()
                    .split("\\s+")) {
                if (!p.isBlank()) {
                    pids.add(Long.parseLong(p.strip()));
                }
            }
        } catch (Commands.CommandException | NumberFormatException e) {
            problems.add("cannot list the processes inside " + ns + ": " + e.getMessage());
            return;
        }
        pids.remove(ProcessHandle.current().pid());
        if (pids.isEmpty()) {
            return;
        }
        if (inside == Inside.REPORT) {
            // a process inside keeps the namespace alive after its name is gone
            problems.add("processes " + pids + " are still inside " + ns + " (not started by this run; they keep that namespace"
                    + " alive until they exit)");
            return;
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (!ProcessTrees.stop(h, Duration.ZERO)) {
                    problems.add("process " + pid + " in " + ns + " survived SIGKILL");
                }
            });
        }
    }

    private static void run(List<String> command, String stdin) {
        Commands.Result r;
        try {
            r = Commands.run(command, Map.of(), List.of(), stdin, IP_TIMEOUT);
        } catch (Commands.CommandException e) {
            throw new SandboxException(e.getMessage());
        }
        if (!r.ok()) {
            throw new SandboxException(r.describe() + (stdin == null ? "" : " (commands: " + stdin.strip().replace('\n', ';') + ")"));
        }
    }
}
