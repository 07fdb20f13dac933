package io.javaoverlay.cli.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.javaoverlay.testkit.Exec;

/**
 * {@code bin/javaoverlay demo} as a user runs it, watched from outside: its output as it comes,
 * and every namespace of its run and every process inside those namespaces, sampled while it
 * runs, so that the test can check afterwards that all of them are gone.
 */
final class DemoRun implements AutoCloseable {

    private static final Pattern PREFIX = Pattern.compile("run (jod-[0-9a-f]{6})");
    private static final Pattern TEMP_DIR = Pattern.compile("(/tmp/jod-[0-9a-f]{6}-\\d+)/");

    private final Process process;
    private final StringBuffer output = new StringBuffer();
    private final Set<String> namespacesSeen = ConcurrentHashMap.newKeySet();
    private final Map<Long, ProcessHandle> processesSeen = new ConcurrentHashMap<>();
    private final Thread reader;
    private final Thread watcher;
    private volatile boolean watching = true;

    private DemoRun(List<String> args) throws IOException {
        // A JVM cannot catch a signal it inherited as ignored, and a build started in the background
        // by a non-interactive shell (as some CI runners do) hands SIGINT down ignored. Ctrl-C at a
        // terminal reaches the demo with the default disposition, so restore that first (perl-base
        // is part of every Debian system; sh cannot reset a signal ignored on entry).
        List<String> cmd = new ArrayList<>(List.of("perl", "-e",
                "$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec $ARGV[0]: $!\\n\";",
                launcher().toString(), "demo"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().keySet().removeIf(k -> k.startsWith("FLANNELD_") || k.startsWith("CNI_"));
        process = pb.start();
        reader = new Thread(() -> copy(process.getInputStream()), "demo output");
        reader.setDaemon(true);
        reader.start();
        watcher = new Thread(this::watch, "demo watcher");
        watcher.setDaemon(true);
        watcher.start();
    }

    static DemoRun start(String... args) throws IOException {
        return new DemoRun(List.of(args));
    }

    static Path launcher() {
        return Path.of(System.getProperty("javaoverlay.home", ".")).resolve("bin/javaoverlay").toAbsolutePath();
    }

    private void copy(InputStream in) {
        byte[] buf = new byte[4096];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                output.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            output.append("\n<output unreadable: ").append(e.getMessage()).append(">\n");
        }
    }

    /** Samples the run's namespaces and the processes inside them until the demo exits. */
    private void watch() {
        while (watching) {
            prefix().ifPresent(p -> {
                for (String line : Exec.ok("ip", "netns", "list").split("\n")) {
                    String ns = line.split(" ")[0];
                    if (ns.startsWith(p + "-")) {
                        namespacesSeen.add(ns);
                        for (String pid : Exec.run("ip", "netns", "pids", ns).stdout().split("\\s+")) {
                            if (!pid.isBlank()) {
                                ProcessHandle.of(Long.parseLong(pid)).ifPresent(h -> processesSeen.putIfAbsent(h.pid(), h));
                            }
                        }
                    }
                }
            });
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The run's random prefix once the demo printed it. */
    java.util.Optional<String> prefix() {
        Matcher m = PREFIX.matcher(output);
        return m.find() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    java.util.Optional<Path> tempDir() {
        Matcher m = TEMP_DIR.matcher(output);
        return m.find() ? java.util.Optional.of(Path.of(m.group(1))) : java.util.Optional.empty();
    }

    String output() {
        return output.toString();
    }

    Process process() {
        return process;
    }

    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the demo did not exit within " + timeout + "; its output:\n" + output);
        }
        reader.join(5000);
        watching = false;
        watcher.join(5000);
        return process.exitValue();
    }

    Set<String> namespacesSeen() {
        return Set.copyOf(namespacesSeen);
    }

    /** Processes seen inside the run's namespaces that are still alive. */
    List<ProcessHandle> survivors() {
        return processesSeen.values().stream().filter(ProcessHandle::isAlive).toList();
    }

    int processesSeen() {
        return processesSeen.size();
    }

    /** Namespaces of this run that still exist. */
    List<String> leftoverNamespaces() {
        String p = prefix().orElseThrow(() -> new AssertionError("the demo printed no run prefix:\n" + output));
        List<String> left = new ArrayList<>();
        for (String line : Exec.ok("ip", "netns", "list").split("\n")) {
            if (line.startsWith(p + "-")) {
                left.add(line.split(" ")[0]);
            }
        }
        return left;
    }

    /** Sends a signal to the demo's JVM (by its PID). */
    void signal(String name) {
        Exec.ok("kill", "-" + name, Long.toString(process.pid()));
    }

    /** Whether the demo process ignores SIGINT (inherited from a shell that started the build in the background). */
    boolean ignoresSigint() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 1)) != 0;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return false;
    }

    @Override
    public void close() throws InterruptedException {
        watching = false;
        if (process.isAlive()) {
            // the demo cleans up on SIGTERM; give it the time, then make sure nothing of ours runs on
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        for (ProcessHandle h : survivors()) {
            h.destroyForcibly();
        }
        for (String ns : namespacesSeen) {
            if (Files.exists(Path.of("/run/netns", ns))) {
                Exec.run("ip", "netns", "del", ns);
            }
        }
    }
}
