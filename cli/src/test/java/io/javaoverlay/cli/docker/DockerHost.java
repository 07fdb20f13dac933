package io.javaoverlay.cli.docker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.awaitility.Awaitility;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;

/**
 * A Docker host for tests: a dockerd of its own inside a network namespace the test made, next
 * to the system (which is never touched, whether or not a dockerd runs there).
 *
 * <p>Isolation, and why each piece is there:
 * <ul>
 * <li><b>Mount namespace</b>: a holder process ({@code unshare -m}, then {@code sleep}) owns a
 *     private mount namespace with a fresh tmpfs on {@code /run}. dockerd and the plugin are
 *     started inside it with {@code nsenter -t HOLDER -m -n}, so they share a private
 *     {@code /run/docker/plugins} (plugin discovery) and several dockerds coexist. The tmpfs also
 *     hides a system containerd's socket, so dockerd supervises a containerd of its own.
 *     {@code nsenter}, not {@code ip netns exec}: the latter remounts /sys, which hides the
 *     cgroup mounts dockerd needs.
 * <li><b>containerd of its own</b>, running beside dockerd as a system service would (not as
 *     dockerd's child): dockerd can then be killed with SIGKILL and started again while the
 *     containers live on, as on a real host. Its socket and state are in the private /run, its
 *     root in the work directory.
 * <li><b>Own paths</b>: {@code --data-root} and the API socket in the test's work directory
 *     (visible to the test), {@code --exec-root} and the pid file under the private /run.
 * <li><b>iptables stays on</b> ({@code --iptables=true}, dockerd's default): the rules land in the
 *     test namespace's own tables, and the FORWARD policy DROP dockerd sets there is exactly what
 *     the plugin must cope with on a real host.
 * <li><b>cgroup parent</b> per host: at teardown every process left in it (containers whose
 *     shim was killed) is SIGKILLed by PID and the cgroups are removed.
 * </ul>
 *
 * Teardown: containers removed through dockerd, then dockerd, the plugin and the holder are
 * stopped by PID (SIGTERM, then SIGKILL); the private mounts go with the mount namespace.
 */
public final class DockerHost implements AutoCloseable {

    public static final String BUSYBOX = "jo-busybox:latest";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final String CONTAINERD_SOCKET = "/run/containerd/containerd.sock";

    private final TestNamespace ns;
    private final Path dir;
    private final String cgroupParent;
    private final Path apiSocket;
    private Process holder;
    private Process containerd;
    private Process dockerd;
    private Process plugin;
    private final List<Process> services = new ArrayList<>();
    private int pluginStarts;
    private int dockerdStarts;

    private DockerHost(TestNamespace ns, Path dir) {
        this.ns = ns;
        this.dir = dir;
        this.cgroupParent = ns.name();
        this.apiSocket = dir.resolve("docker.sock");
    }

    /**
     * What {@link #start} needs, for a test to check before anything starts: root, dockerd, and
     * busybox-static for the image every host imports. The test adds its own, then {@code orAbort()}.
     */
    static Requirements requirements() {
        return Requirements.check().root().executable("/usr/sbin/dockerd", "docker.io").executable("/bin/busybox", "busybox-static");
    }

    /** Starts a private mount namespace and dockerd in {@code ns}; files go under {@code workDir/NAME}. */
    public static DockerHost start(TestNamespace ns, Path workDir) {
        DockerHost host = new DockerHost(ns, workDir.resolve(ns.name() + "-docker"));
        try {
            Files.createDirectories(host.dir);
            Files.writeString(host.dir.resolve("daemon.json"), "{}\n");
            host.startHolder();
            host.startContainerd();
            host.startDockerd();
            host.importBusybox();
            return host;
        } catch (IOException e) {
            host.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            host.close();
            throw e;
        }
    }

    public TestNamespace namespace() {
        return ns;
    }

    /** This host's directory for files the test writes (subnet.env, state directories). */
    public Path dir() {
        return dir;
    }

    public Path apiSocket() {
        return apiSocket;
    }

    /** This host's private /run as the test sees it (through the holder's root). */
    public Path privateRun() {
        return Path.of("/proc/" + holder.pid() + "/root/run");
    }

    /** The plugin socket as the test sees it: through the holder's view of the private /run. */
    public Path pluginSocket() {
        return Path.of("/proc/" + holder.pid() + "/root/run/docker/plugins/javaoverlay.sock");
    }

    // --- dockerd ---

    private void startHolder() throws IOException {
        // sleep in the foreground of the unshared shell: its PID is the namespace's anchor
        holder = spawn("holder", List.of("nsenter", "--net=" + ns.netnsPath(), "unshare", "-m", "--propagation", "private",
                "sh", "-c", "mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/docker/plugins /run/flannel && exec sleep 2147483647"));
        Awaitility.await("private /run of " + ns.name()).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> !holder.isAlive() || Files.isDirectory(Path.of("/proc/" + holder.pid() + "/root/run/docker/plugins")));
        if (!holder.isAlive()) {
            throw new IllegalStateException("the mount namespace holder died: " + log("holder"));
        }
    }

    /** {@code nsenter} into this host's mount and network namespaces. */
    public List<String> inHost(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(holder.pid()), "-m", "-n"));
        cmd.addAll(command);
        return cmd;
    }

    private void startContainerd() throws IOException {
        // an empty config: the machine's /etc/containerd/config.toml is for the system's containerd
        Files.writeString(dir.resolve("containerd.toml"), "version = 2\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n");
        containerd = spawn("containerd", inHost(List.of("containerd",
                "--config", dir.resolve("containerd.toml").toString(),
                "--root", dir.resolve("containerd").toString(),
                "--state", "/run/containerd",
                "--address", CONTAINERD_SOCKET,
                "--log-level", "warn")));
        Awaitility.await("containerd in " + ns.name()).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!containerd.isAlive()) {
                        throw new AssertionError("containerd exited " + containerd.exitValue() + ":\n" + log("containerd"));
                    }
                    return Files.exists(privateRun().resolve("containerd/containerd.sock"));
                });
    }

    public void startDockerd() throws IOException {
        dockerdStarts++;
        dockerd = spawn("dockerd-" + dockerdStarts, inHost(List.of("dockerd",
                "--containerd", CONTAINERD_SOCKET,
                "--config-file", dir.resolve("daemon.json").toString(),
                "--data-root", dir.resolve("data").toString(),
                "--exec-root", "/run/dexec",
                "--pidfile", "/run/docker.pid",
                "--cgroup-parent", "/" + cgroupParent,
                "-H", "unix://" + apiSocket)));
        Awaitility.await("dockerd in " + ns.name()).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    if (!dockerd.isAlive()) {
                        throw new AssertionError("dockerd exited " + dockerd.exitValue() + ":\n" + log("dockerd-" + dockerdStarts));
                    }
                    return Files.exists(apiSocket) && docker("version", "--format", "{{.Server.Version}}").ok();
                });
    }

    /**
     * Stops dockerd (SIGTERM; SIGKILL with {@code kill9}) and waits until it is gone. nsenter
     * execs dockerd, so the process we started is dockerd itself. After SIGKILL containerd
     * and the containers live on, as they would on a real host.
     */
    public void stopDockerd(boolean kill9) {
        if (dockerd == null) {
            return;
        }
        if (kill9) {
            dockerd.destroyForcibly();
        } else {
            dockerd.destroy();
        }
        try {
            if (!dockerd.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new AssertionError("dockerd in " + ns.name() + " did not stop within 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        dockerd = null;
    }

    public void restartDockerd() throws IOException {
        stopDockerd(false);
        startDockerd();
    }

    // --- the plugin ---

    /** Where a plugin started with {@link #noAgentPluginArgs} keeps its address reservations. */
    public Path ipamDir() {
        return dir.resolve("ipam");
    }

    /**
     * The arguments of a plugin that runs without an agent ({@code --no-agent}) on a lease this
     * method writes as {@code subnet.env} in this host's directory: network 10.5.0.0/16, this
     * host's {@code lease}, MTU 1450. Its state goes to {@code plugin/}, its reservations to
     * {@link #ipamDir()}.
     */
    public List<String> noAgentPluginArgs(String lease) throws IOException {
        Path subnetFile = dir.resolve("subnet.env");
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse(lease), 1450, false).write(subnetFile);
        return List.of("--no-agent", "--subnet-file", subnetFile.toString(),
                "--docker-data-dir", dir.resolve("plugin").toString(), "--ipam-dir", ipamDir().toString());
    }

    /** Starts {@code bin/javaoverlay docker-plugin ARGS} inside this host and waits for its socket. */
    public void startPlugin(List<String> args) {
        pluginStarts++;
        List<String> cmd = new ArrayList<>(List.of(launcher().toString(), "docker-plugin"));
        cmd.addAll(args);
        try {
            Files.deleteIfExists(dir.resolve("plugin-" + pluginStarts + ".log"));
            plugin = spawn("plugin-" + pluginStarts, inHost(cmd));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Awaitility.await("javaoverlay plugin socket in " + ns.name()).atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    if (!plugin.isAlive()) {
                        throw new AssertionError("the plugin exited " + plugin.exitValue() + ":\n" + pluginLog());
                    }
                    return pluginLog().contains("javaoverlay Docker plugin ready");
                });
    }

    /** SIGTERM (SIGKILL with {@code kill9}) to the plugin; returns its exit code. */
    public int stopPlugin(boolean kill9) {
        Process p = plugin;
        plugin = null;
        if (p == null) {
            return -1;
        }
        if (kill9) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        } else {
            // nsenter execs the launcher, which execs java: the PID is the JVM's
            p.destroy();
        }
        try {
            if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public String pluginLog() {
        return log("plugin-" + pluginStarts);
    }

    static Path launcher() {
        String home = System.getProperty("javaoverlay.home", System.getProperty("user.dir") + "/..");
        Path bin = Path.of(home).resolve("bin/javaoverlay").toAbsolutePath().normalize();
        if (!Files.isExecutable(bin)) {
            throw new IllegalStateException(bin + " is missing: run the tests from the checkout (mvn verify)");
        }
        return bin;
    }

    // --- docker CLI ---

    /** {@code docker -H unix://API ARGS}. */
    public ExecResult docker(String... args) {
        return docker(Duration.ofSeconds(60), args);
    }

    public ExecResult docker(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", "unix://" + apiSocket));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, Map.of("DOCKER_CONFIG", dir.resolve("cli").toString()), null, timeout);
    }

    /** Runs docker, fails the test unless it exits 0, returns stdout stripped. */
    public String dockerOk(String... args) {
        ExecResult r = docker(args);
        if (!r.ok()) {
            throw new AssertionError("docker " + String.join(" ", args) + " failed: " + r.describe()
                    + "\n--- plugin log tail ---\n" + tail(pluginLogOrEmpty(), 30));
        }
        return r.stdout().strip();
    }

    /** {@code docker KIND inspect NAME}, parsed (KIND: container, network, image...). */
    public JsonNode inspect(String kind, String name) {
        try {
            return JSON.readTree(dockerOk(kind, "inspect", name)).get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The container's address on a network, as dockerd reports it. */
    public String containerIp(String container, String network) {
        return inspect("container", container).at("/NetworkSettings/Networks/" + network + "/IPAddress").asText();
    }

    /** A busybox image from the machine's busybox-static (no registry is reachable here). */
    private void importBusybox() throws IOException {
        Path tar = BusyboxImage.tarball();
        ExecResult r = Exec.run(List.of("docker", "-H", "unix://" + apiSocket, "import", tar.toString(), BUSYBOX),
                Map.of("DOCKER_CONFIG", dir.resolve("cli").toString()), null, Duration.ofSeconds(60));
        r.orThrow();
    }

    /** Runs a command inside this host (its network and mount namespaces). */
    public ExecResult exec(String... command) {
        return Exec.run(inHost(List.of(command)), Map.of(), null, Duration.ofSeconds(30));
    }

    /** Starts a long-running helper (a registry ...) inside this host; stopped at teardown. */
    public void startService(String name, List<String> command) throws IOException {
        services.add(spawn(name, inHost(command)));
    }

    // --- teardown ---

    @Override
    public void close() {
        List<String> problems = new ArrayList<>();
        if (dockerd != null && dockerd.isAlive()) {
            ExecResult ids = docker(Duration.ofSeconds(20), "ps", "-aq");
            if (ids.ok() && !ids.stdout().isBlank()) {
                List<String> rm = new ArrayList<>(List.of("rm", "-f"));
                rm.addAll(List.of(ids.stdout().strip().split("\\s+")));
                docker(Duration.ofSeconds(60), rm.toArray(String[]::new));
            }
        }
        stopPlugin(false);
        services.forEach(s -> kill(s, Duration.ofSeconds(5)));
        if (dockerd != null) {
            kill(dockerd, Duration.ofSeconds(20));
            dockerd = null;
        }
        if (containerd != null) {
            kill(containerd, Duration.ofSeconds(10));
            containerd = null;
        }
        killCgroup(problems);
        if (holder != null) {
            kill(holder, Duration.ofSeconds(5));
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("docker host " + ns.name() + " teardown: " + String.join("; ", problems));
        }
    }

    /** Containers left behind (a shim killed, dockerd killed) are in our cgroup parent: kill them, remove it. */
    private void killCgroup(List<String> problems) {
        Path root = Path.of("/sys/fs/cgroup");
        List<Path> parents = new ArrayList<>();
        if (Files.isDirectory(root.resolve(cgroupParent))) {
            parents.add(root.resolve(cgroupParent)); // cgroup v2: one tree
        }
        try (Stream<Path> controllers = Files.list(root)) { // cgroup v1: one tree per controller
            controllers.forEach(c -> {
                Path p = c.resolve(cgroupParent);
                if (Files.isDirectory(p)) {
                    parents.add(p);
                }
            });
        } catch (IOException e) {
            problems.add("cannot list " + root + ": " + e.getMessage());
            return;
        }
        for (Path parent : parents) {
            try (Stream<Path> walk = Files.walk(parent)) {
                for (Path procs : walk.filter(f -> f.getFileName().toString().equals("cgroup.procs")).toList()) {
                    for (String pid : Files.readAllLines(procs)) {
                        if (!pid.isBlank()) {
                            ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
                        }
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                problems.add("cannot read " + parent + ": " + e.getMessage());
            }
        }
        for (Path parent : parents) {
            Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).ignoreExceptions()
                    .until(() -> removeCgroupTree(parent));
        }
    }

    private static boolean removeCgroupTree(Path parent) throws IOException {
        if (!Files.exists(parent)) {
            return true;
        }
        try (Stream<Path> walk = Files.walk(parent)) {
            for (Path d : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(d); // rmdir of a cgroup; fails while processes remain
            }
        }
        return !Files.exists(parent);
    }

    private static void kill(Process p, Duration grace) {
        if (!p.isAlive()) {
            return;
        }
        List<ProcessHandle> tree = new ArrayList<>(p.toHandle().descendants().toList());
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    private Process spawn(String name, List<String> command) throws IOException {
        Path log = dir.resolve(name + ".log");
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
    }

    public String log(String name) {
        try {
            Path f = dir.resolve(name + ".log");
            return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String pluginLogOrEmpty() {
        return pluginStarts == 0 ? "" : pluginLog();
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    @Override
    public String toString() {
        return "DockerHost[" + ns.name() + "]";
    }
}
