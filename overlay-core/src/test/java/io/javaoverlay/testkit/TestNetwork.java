package io.javaoverlay.testkit;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.javaoverlay.core.sandbox.Namespaces;
import io.javaoverlay.core.sandbox.UnderlayTopology;

/**
 * Test hosts as network namespaces on a shared underlay ({@link UnderlayTopology}, which the
 * {@code demo} command builds too), torn down after the test even when it fails.
 *
 * <pre>
 *   PREFIX-ul:  br0 10.U.V.254/24 --+-- h1 ==veth== eth0 10.U.V.1/24  PREFIX-h1
 *                                   +-- h2 ==veth== eth0 10.U.V.2/24  PREFIX-h2
 *                                   ...
 * </pre>
 *
 * Every name starts with a random per-run prefix {@code jo-XXXXXX}; the underlay subnet is
 * random in 10.200.0.0-10.254.255.0/24, never in 10.244/16, so it stays clear of usual overlay networks
 * (10.5/16, 10.244/16). Nothing is created in or changed in the root namespace except the
 * {@code /run/netns} entries.
 *
 * <p>Register it with {@code @RegisterExtension}: on a static field it lives for the test
 * class (one fixture per class, preferred), on an instance field for each test. Or use
 * {@link #start()} / {@link #close()} directly. It checks {@link Requirements} first, so in
 * CI a missing prerequisite fails the test and elsewhere skips it.
 *
 * <p>Teardown: tracked processes get SIGTERM then SIGKILL (by PID, with their descendants);
 * any process still inside one of the namespaces is SIGKILLed (it can only be ours); then the
 * namespaces are deleted, which removes their devices. A JVM shutdown hook does the same if
 * the JVM exits before teardown ran.
 */
public final class TestNetwork implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        AutoCloseable {

    private final int hostCount;
    private final String prefix;
    private final Ip4Net underlay;
    private Namespaces namespaces;
    private final List<TestHost> hosts = new ArrayList<>();
    private final List<TestProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final List<AutoCloseable> closeAtTeardown = Collections.synchronizedList(new ArrayList<>());
    private TestNamespace underlayNamespace;
    private Path workDir;
    private Thread shutdownHook;
    private boolean started;
    private boolean classScoped;
    private boolean keepWorkDir;

    private TestNetwork(int hostCount) {
        if (hostCount < 0 || hostCount > 200) {
            throw new IllegalArgumentException("host count must be 0-200, got " + hostCount);
        }
        this.hostCount = hostCount;
        this.prefix = Namespaces.randomPrefix("jo");
        this.underlay = UnderlayTopology.randomSubnet();
    }

    /** A network with {@code count} hosts on one underlay (0: only namespaces made with {@link #createNamespace}). */
    public static TestNetwork withHosts(int count) {
        return new TestNetwork(count);
    }

    /** Just a place for standalone namespaces ({@link #createNamespace}), no underlay. */
    public static TestNetwork namespacesOnly() {
        return new TestNetwork(0);
    }

    /** Checks requirements and creates the underlay and the hosts. */
    public synchronized TestNetwork start() {
        if (started) {
            return this;
        }
        Requirements.check().root()
                .command("ip", "iproute2")
                .command("bridge", "iproute2")
                .orAbort();
        started = true;
        namespaces = new Namespaces(prefix);
        shutdownHook = new Thread(this::teardownQuietly, "teardown " + prefix);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        try {
            workDir = Files.createTempDirectory(prefix + "-");
            if (hostCount > 0) {
                createUnderlay();
            }
        } catch (IOException e) {
            teardownQuietly();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            teardownQuietly();
            throw e;
        }
        return this;
    }

    private void createUnderlay() {
        UnderlayTopology topology = UnderlayTopology.create(namespaces, underlay, hostCount);
        underlayNamespace = new TestNamespace(topology.namespace(), this);
        for (UnderlayTopology.Host h : topology.hosts()) {
            hosts.add(new TestHost(h.namespace(), this, h.number(), h.address()));
        }
    }

    <T extends AutoCloseable> T closeAtTeardown(T resource) {
        closeAtTeardown.add(resource);
        return resource;
    }

    /** Creates a namespace named {@code PREFIX-suffix} with loopback up; deleted at teardown. */
    public TestNamespace createNamespace(String suffix) {
        requireStarted();
        return new TestNamespace(namespaces.create(suffix), this);
    }

    TestProcess start(TestNamespace ns, String name, List<String> command, Map<String, String> env) {
        requireStarted();
        Path log = workDir.resolve(ns.name() + "-" + name + ".log");
        ProcessBuilder pb = new ProcessBuilder(ns.wrap(command))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        TestProcess p;
        try {
            p = new TestProcess(name, command, pb.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " in " + ns.name(), e);
        }
        processes.add(p);
        awaitInside(p, ns);
        return p;
    }

    /**
     * Returns once the process has switched into the namespace ({@code ip netns exec} does that
     * after it started), so that callers may open {@code /proc/PID/ns/net} right away.
     */
    private static void awaitInside(TestProcess p, TestNamespace ns) {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(10).toNanos();
        try {
            Object target = Files.getAttribute(ns.netnsPath(), "unix:ino");
            Path procNs = Path.of("/proc", Long.toString(p.pid()), "ns", "net");
            while (p.isAlive() && System.nanoTime() < deadline) {
                try {
                    if (target.equals(Files.getAttribute(procNs, "unix:ino"))) {
                        return;
                    }
                } catch (IOException e) {
                    // exiting right now: the loop condition sees it
                }
                Thread.sleep(5);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stat " + ns.netnsPath(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while starting " + p.name(), e);
        }
        if (p.isAlive()) {
            throw new AssertionError(p + " did not enter " + ns.name() + " within 10 s");
        }
        // exited already (a short command, or it failed): the caller sees its exit code and log
    }

    // --- accessors ---

    /** The random per-run prefix of every namespace name, e.g. {@code jo-3fa9c1}. */
    public String prefix() {
        return prefix;
    }

    public List<TestHost> hosts() {
        requireStarted();
        return List.copyOf(hosts);
    }

    /** Host {@code number}, 1-based. */
    /** How many hosts the network has. */
    public int hostCount() {
        return hostCount;
    }

    public TestHost host(int number) {
        requireStarted();
        if (number < 1 || number > hosts.size()) {
            throw new IllegalArgumentException("no host " + number + "; this network has hosts 1.." + hosts.size());
        }
        return hosts.get(number - 1);
    }

    /**
     * The underlay's own namespace, holding the bridge at {@link #underlayGateway()}: a place for
     * services every host reaches (etcd for data-path tests) and for traffic from a non-host.
     */
    public TestNamespace underlay() {
        requireStarted();
        if (underlayNamespace == null) {
            throw new IllegalStateException("this test network has no underlay (made with namespacesOnly())");
        }
        return underlayNamespace;
    }

    /** The underlay's /24; host N is {@code .N}, the underlay bridge {@code .254}. */
    public Ip4Net underlaySubnet() {
        return underlay;
    }

    /** The underlay bridge's address, every host's default gateway. */
    public Ip4 underlayGateway() {
        return underlay.address().plus(254);
    }

    /** A directory for this run's files (process logs ...); deleted at teardown. */
    public Path workDir() {
        requireStarted();
        return workDir;
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException("TestNetwork not started: register it with @RegisterExtension or call start()");
        }
    }

    // --- JUnit lifecycle ---

    @Override
    public void beforeAll(ExtensionContext context) {
        classScoped = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        reportOnFailure(context);
        close();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!classScoped) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!classScoped) {
            reportOnFailure(context);
            close();
        }
    }

    /** After a failure: show the tail of every process log and keep the logs. */
    private void reportOnFailure(ExtensionContext context) {
        if (context.getExecutionException().isEmpty() || !started) {
            return;
        }
        keepWorkDir = true;
        synchronized (processes) {
            for (TestProcess p : processes) {
                String log = p.log();
                String tail = log.length() > 4000 ? "..." + log.substring(log.length() - 4000) : log;
                System.err.println("---- " + p + (p.isAlive() ? " (running)" : " (exited " + p.process().exitValue() + ")")
                        + ", log " + p.logFile() + " ----\n" + tail);
            }
        }
        System.err.println("test network " + prefix + " failed; process logs kept in " + workDir);
    }

    // --- teardown ---

    /** Stops processes and deletes every namespace; fails (after doing all it can) if something stayed behind. */
    @Override
    public synchronized void close() {
        if (!started) {
            return;
        }
        List<String> problems = teardown();
        started = false;
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // JVM already shutting down: the hook runs teardown, which is idempotent
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("test network " + prefix + " teardown left things behind: " + String.join("; ", problems));
        }
    }

    private void teardownQuietly() {
        List<String> problems = teardown();
        if (!problems.isEmpty()) {
            System.err.println("test network " + prefix + " teardown: " + String.join("; ", problems));
        }
    }

    private synchronized List<String> teardown() {
        List<String> problems = new ArrayList<>();
        List<TestProcess> procs;
        synchronized (processes) {
            procs = new ArrayList<>(processes);
            processes.clear();
        }
        for (TestProcess p : procs) {
            if (p.isAlive()) {
                p.stop(java.time.Duration.ofSeconds(5));
            }
        }
        synchronized (closeAtTeardown) {
            for (AutoCloseable c : closeAtTeardown) {
                try {
                    c.close();
                } catch (Exception e) {
                    problems.add("cannot close " + c + ": " + e);
                }
            }
            closeAtTeardown.clear();
        }
        if (namespaces != null) {
            problems.addAll(namespaces.deleteAll(Namespaces.Inside.KILL));
        }
        deleteWorkDir(problems);
        return problems;
    }

    private void deleteWorkDir(List<String> problems) {
        if (keepWorkDir || workDir == null || !Files.exists(workDir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(workDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            problems.add("cannot delete " + workDir + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "test network " + prefix + " (" + hostCount + " hosts on " + underlay + ")";
    }
}
