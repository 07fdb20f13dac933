package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * Every input gives the same stdout and exit status whether {@code bin/javaoverlay} hands the
 * call to the agent over its CNI socket or runs the plugin in a JVM of its own
 * ({@code JAVAOVERLAY_CNI_SOCKET=}): a table of hostile and clumsy inputs (control characters
 * and non-UTF-8 bytes in the variables, missing variables, bad JSON, 200 MB of stdin, FIFOs,
 * files and mount namespaces as CNI_NETNS, bad interface names) run both ways, byte for byte,
 * with the variables set as raw bytes the way a runtime's exec would. The agent serves on a
 * socket in a host namespace (embedded lease store, no data path); idle connections must not
 * stall it, and an ADD whose caller went away must leave nothing behind.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CniBothPathsIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    private static final Pattern SERVED = Pattern.compile("CniCall - CNI (?!socket)");

    private static CniHost host;
    private static TestNamespace pod;
    private static Path socket;
    private static TestProcess agent;

    @BeforeAll
    static void agentServesTheSocket() throws IOException {
        Requirements.check().command("socat", "socat").orAbort();
        host = CniHost.create(net, "bp", true);
        pod = host.pod();
        socket = host.dir.resolve("cni.sock");
        Path netConf = Files.writeString(host.dir.resolve("net-conf.json"),
                "{\"Network\":\"" + host.network + "\",\"SubnetLen\":24,\"Backend\":{\"Type\":\"udp\"}}");
        // the agent writes the host's subnet.env from its own lease, where the CNI config points
        agent = host.ns.start("agent", List.of(CniHost.executable().toString(), "agent",
                "--lease-dir", host.dir.resolve("leases").toString(), "--net-config-path", netConf.toString(),
                "--public-ip", "127.0.0.1", "--no-data-path", "--subnet-file", host.subnetFile.toString(),
                "--data-dir", host.dir.resolve("agent-data").toString(), "--cni-socket", socket.toString()), Map.of());
        agent.awaitLog("javaoverlay is ready", Duration.ofSeconds(90));
        agent.awaitLog("serving CNI calls on " + socket, Duration.ofSeconds(10));
    }

    /** A variable's value as the raw bytes a runtime would put in the environment. */
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** How stdin is made: a file of these bytes, or {@code head -c N /dev/zero} for sizes no test should hold. */
    private record Stdin(byte[] bytes, long zeros) {
        static Stdin of(String text) {
            return new Stdin(utf8(text), -1);
        }

        static Stdin zeros(long n) {
            return new Stdin(null, n);
        }
    }

    /** What one run of the launcher printed and returned. */
    private record Run(int exit, byte[] stdout, String stderr, long millis) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "exit " + exit + " after " + millis + " ms, stdout: " + out() + ", stderr: " + stderr;
        }
    }

    private static int runs;

    /**
     * Runs {@code bin/javaoverlay} in namespace {@code where} with exactly {@code vars} as its CNI
     * variables (byte for byte: a script file exports them, so neither Java's nor a shell's
     * encoding touches them) and {@code socketPath} as JAVAOVERLAY_CNI_SOCKET ("" for the JVM path).
     */
    private static Run launch(TestNamespace where, Map<String, byte[]> vars, Stdin stdin, String socketPath) {
        return launch(where, List.of(), vars, stdin, socketPath);
    }

    /** As {@link #launch(TestNamespace, Map, Stdin, String)}, the shell started through {@code runAs} (e.g. setpriv). */
    private static Run launch(TestNamespace where, List<String> runAs, Map<String, byte[]> vars, Stdin stdin, String socketPath) {
        try {
            int n = ++runs;
            Path script = host.dir.resolve("run-" + n + ".sh");
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            for (Map.Entry<String, byte[]> v : vars.entrySet()) {
                s.writeBytes(utf8("export " + v.getKey() + "='"));
                for (byte b : v.getValue()) {
                    if (b == '\'') {
                        s.writeBytes(utf8("'\\''"));
                    } else {
                        s.write(b);
                    }
                }
                s.writeBytes(utf8("'\n"));
            }
            if (stdin.bytes() != null) {
                Path in = Files.write(host.dir.resolve("stdin-" + n), stdin.bytes());
                s.writeBytes(utf8("exec \"$1\" < '" + in + "'\n"));
            } else {
                s.writeBytes(utf8("head -c " + stdin.zeros() + " /dev/zero | \"$1\"\n"));
            }
            Files.write(script, s.toByteArray());
            List<String> command = new ArrayList<>(runAs);
            command.addAll(List.of("sh", script.toString(), CniHost.executable().toString()));
            ProcessBuilder pb = new ProcessBuilder(where.wrap(command));
            pb.environment().keySet().removeIf(k -> k.startsWith("CNI_"));
            pb.environment().put("JAVAOVERLAY_CNI_SOCKET", socketPath);
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            Path err = host.dir.resolve("stderr-" + n);
            pb.redirectError(err.toFile());
            long start = System.nanoTime();
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(90, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("the launcher did not finish within 90 s: " + vars.keySet());
            }
            return new Run(p.exitValue(), out, Files.readString(err, StandardCharsets.ISO_8859_1),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static long servedCalls() {
        Matcher m = SERVED.matcher(agent.log());
        long n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static Map<String, byte[]> vars(String command, String id, String netns, String ifName) {
        Map<String, byte[]> v = new LinkedHashMap<>();
        v.put("CNI_COMMAND", utf8(command));
        v.put("CNI_CONTAINERID", utf8(id));
        v.put("CNI_NETNS", utf8(netns));
        v.put("CNI_IFNAME", utf8(ifName));
        v.put("CNI_PATH", utf8("/usr/lib/cni"));
        return v;
    }

    private static Map<String, byte[]> with(Map<String, byte[]> base, String name, byte[] value) {
        Map<String, byte[]> v = new LinkedHashMap<>(base);
        if (value == null) {
            v.remove(name);
        } else {
            v.put(name, value);
        }
        return v;
    }

    /** One bad input: its variables, stdin and the code both paths must answer with. */
    private record Case(String what, Map<String, byte[]> vars, Stdin stdin, int code) {}

    @Test
    void everyBadInputGetsTheSameAnswerOnBothPathsAndLeavesNothing() throws IOException {
        Path fifo = host.dir.resolve("netns-fifo");
        Exec.run("mkfifo", fifo.toString()).orThrow();
        Path plain = Files.writeString(host.dir.resolve("netns-plain"), "not a namespace");
        Path dir = Files.createDirectories(host.dir.resolve("netns-dir"));
        String podNs = pod.netnsPath().toString();
        Map<String, byte[]> add = vars("ADD", "bad1", podNs, "eth0");
        String conf = host.conf("1.0.0");
        byte[] latin1 = "eth\u00e9".getBytes(StandardCharsets.ISO_8859_1);

        List<Case> cases = new ArrayList<>();
        // the old protocol's injection: a newline in CNI_ARGS added a CNI-Netns header
        cases.add(new Case("newline in CNI_ARGS", with(add, "CNI_ARGS", utf8("IgnoreUnknown=1\nCNI-Netns: /proc/1/ns/net")),
                Stdin.of(conf), 4));
        cases.add(new Case("carriage return in CNI_CONTAINERID", with(add, "CNI_CONTAINERID", utf8("bad1\r")), Stdin.of(conf), 4));
        cases.add(new Case("non-ASCII CNI_CONTAINERID", with(add, "CNI_CONTAINERID", utf8("b\u00e9d")), Stdin.of(conf), 4));
        cases.add(new Case("CNI_IFNAME not UTF-8", with(add, "CNI_IFNAME", latin1), Stdin.of(conf), 4));
        cases.add(new Case("CNI_ARGS not UTF-8", with(add, "CNI_ARGS", "K8S_POD_NAME=\u00e9".getBytes(StandardCharsets.ISO_8859_1)),
                Stdin.of(conf), 4));
        cases.add(new Case("9 two-byte characters as CNI_IFNAME (18 bytes)", with(add, "CNI_IFNAME", utf8("\u00e9".repeat(9))),
                Stdin.of(conf), 4));
        cases.add(new Case("16-byte CNI_IFNAME", with(add, "CNI_IFNAME", utf8("abcdefghijklmnop")), Stdin.of(conf), 4));
        cases.add(new Case("slash in CNI_IFNAME", with(add, "CNI_IFNAME", utf8("a/b")), Stdin.of(conf), 4));
        cases.add(new Case("CNI_IFNAME ..", with(add, "CNI_IFNAME", utf8("..")), Stdin.of(conf), 4));
        cases.add(new Case("CNI_IFNAME with a space", with(add, "CNI_IFNAME", utf8("a b")), Stdin.of(conf), 4));
        cases.add(new Case("missing CNI_CONTAINERID", with(add, "CNI_CONTAINERID", null), Stdin.of(conf), 4));
        cases.add(new Case("missing CNI_NETNS", with(add, "CNI_NETNS", null), Stdin.of(conf), 4));
        cases.add(new Case("empty CNI_COMMAND", with(add, "CNI_COMMAND", utf8("")), Stdin.of(conf), 4));
        cases.add(new Case("unknown CNI_COMMAND", with(add, "CNI_COMMAND", utf8("ATTACH")), Stdin.of(conf), 4));
        cases.add(new Case("FIFO as CNI_NETNS", with(add, "CNI_NETNS", utf8(fifo.toString())), Stdin.of(conf), 4));
        cases.add(new Case("regular file as CNI_NETNS", with(add, "CNI_NETNS", utf8(plain.toString())), Stdin.of(conf), 4));
        cases.add(new Case("directory as CNI_NETNS", with(add, "CNI_NETNS", utf8(dir.toString())), Stdin.of(conf), 4));
        cases.add(new Case("mount namespace as CNI_NETNS", with(add, "CNI_NETNS", utf8("/proc/1/ns/mnt")), Stdin.of(conf), 4));
        cases.add(new Case("CNI_NETNS that does not exist", with(add, "CNI_NETNS", utf8(host.dir.resolve("gone").toString())),
                Stdin.of(conf), 4));
        cases.add(new Case("DEL with a FIFO as CNI_NETNS", with(vars("DEL", "bad1", fifo.toString(), "eth0"), "CNI_ARGS", utf8("")),
                Stdin.of(conf), 4));
        cases.add(new Case("malformed JSON", add, Stdin.of("{\"cniVersion\":\"1.0.0\","), 6));
        cases.add(new Case("NUL bytes in stdin", add, new Stdin(utf8("{\"cniVersion\":\"1.0.0\",\u0000\"name\":\"x\"}"), -1), 6));
        byte[] notUtf8 = conf.replace("podnet", "pod\u00e9").getBytes(StandardCharsets.ISO_8859_1);
        cases.add(new Case("stdin not UTF-8", add, new Stdin(notUtf8, -1), 6));
        cases.add(new Case("200 MB on stdin", add, Stdin.zeros(200L * 1024 * 1024), 7));
        cases.add(new Case("unsupported version", add, Stdin.of(host.conf("0.5.0")), 1));
        cases.add(new Case("subnetFile is a FIFO", add, Stdin.of(host.conf("1.0.0", Map.of("subnetFile", fifo.toString()))), 101));
        cases.add(new Case("subnetFile is /dev/zero", add, Stdin.of(host.conf("1.0.0", Map.of("subnetFile", "/dev/zero"))), 101));
        cases.add(new Case("network name of 3000 characters", add, Stdin.of(host.conf("1.0.0", Map.of("name", "n".repeat(3000)))), 7));

        for (Case c : cases) {
            long before = servedCalls();
            Run viaAgent = launch(host.ns, c.vars(), c.stdin(), socket.toString());
            await(c.what() + ": the agent served it").atMost(Duration.ofSeconds(10)).until(() -> servedCalls() == before + 1);
            Run viaJvm = launch(host.ns, c.vars(), c.stdin(), "");

            assertThat(viaAgent.exit()).as("%s through the agent: %s", c.what(), viaAgent).isEqualTo(1);
            CniJson.assertError(viaAgent.out(), c.code());
            assertThat(viaAgent.stdout()).as("%s: the same stdout both ways (JVM path: %s)", c.what(), viaJvm).isEqualTo(viaJvm.stdout());
            assertThat(viaJvm.exit()).as("%s in a JVM: %s", c.what(), viaJvm).isEqualTo(1);
            // refused at once, never waiting on a FIFO or reading 200 MB
            assertThat(viaAgent.millis()).as("%s through the agent", c.what()).isLessThan(20_000);
        }
        assertThat(servedCalls()).isGreaterThanOrEqualTo(cases.size());
        assertThat(host.reservations()).isEmpty();
        assertThat(CniHost.links(pod)).isEmpty();
        assertThat(host.hostLinks().stream().filter(l -> l.startsWith("veth"))).isEmpty();
    }

    @Test
    void aCallerInAnotherNamespaceGetsItsExactStdinBackForItsOwnJvm() {
        // NUL and non-UTF-8 bytes survive the agent's refusal (503) and the launcher's fallback intact
        byte[] stdin = "{\"cniVersion\":\"1.0.0\",\u0000\"name\":\"\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        Map<String, byte[]> v = vars("ADD", "other", pod.netnsPath().toString(), "eth0");
        TestNamespace elsewhere = host.pod();

        Run viaSocket = launch(elsewhere, v, new Stdin(stdin, -1), socket.toString());
        Run viaJvm = launch(elsewhere, v, new Stdin(stdin, -1), "");

        assertThat(agent.log()).contains("not serving ADD for other (pid");
        assertThat(viaSocket.exit()).as("%s", viaSocket).isEqualTo(1);
        assertThat(viaSocket.stderr()).as("the agent's reason in the runtime's plugin log")
                .contains("does not serve this call (the caller is in network namespace net:[");
        CniJson.assertError(viaSocket.out(), 6);
        assertThat(viaSocket.stdout()).isEqualTo(viaJvm.stdout());
    }

    @Test
    void aCallerThatIsNotRootIsNotServedEvenWhenTheSocketIsOpenToAll() throws IOException {
        // an operator loosened the socket's mode: the agent still checks the caller's uid (SO_PEERCRED)
        List<Path> opened = List.of(net.workDir(), host.dir);
        Map<Path, java.util.Set<java.nio.file.attribute.PosixFilePermission>> before = new LinkedHashMap<>();
        for (Path p : List.of(net.workDir(), host.dir, socket)) {
            before.put(p, Files.getPosixFilePermissions(p));
        }
        try {
            for (Path p : opened) {
                Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
            }
            Files.setPosixFilePermissions(socket, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
            List<String> nobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
            Map<String, byte[]> status = Map.of("CNI_COMMAND", utf8("STATUS"));
            long served = servedCalls();

            Run viaSocket = launch(host.ns, nobody, status, Stdin.of(host.conf("1.1.0")), socket.toString());
            Run viaJvm = launch(host.ns, nobody, status, Stdin.of(host.conf("1.1.0")), "");

            assertThat(agent.log()).contains("only root may hand CNI calls to the agent");
            assertThat(servedCalls()).as("the agent ran nothing for uid 65534").isEqualTo(served);
            assertThat(viaSocket.exit()).as("%s", viaSocket).isEqualTo(viaJvm.exit());
            assertThat(viaSocket.stdout()).as("the JVM path's answer, with the caller's own rights (JVM path: %s)", viaJvm)
                    .isEqualTo(viaJvm.stdout());
        } finally {
            for (Map.Entry<Path, java.util.Set<java.nio.file.attribute.PosixFilePermission>> e : before.entrySet()) {
                Files.setPosixFilePermissions(e.getKey(), e.getValue());
            }
        }
    }

    @Test
    void aNonAsciiInterfaceNameWithinFifteenBytesIsTheSameNameBothWays() {
        String name = "eth-\u00e9\u00e9\u00e9\u00e9\u00e9x"; // 15 bytes, 10 characters
        TestNamespace a = host.pod();
        TestNamespace b = host.pod();
        String conf = host.conf("1.0.0");
        long before = servedCalls();
        Run viaAgent = launch(host.ns, vars("ADD", "uni-a", a.netnsPath().toString(), name), Stdin.of(conf), socket.toString());
        Run viaJvm = launch(host.ns, vars("ADD", "uni-b", b.netnsPath().toString(), name), Stdin.of(conf), "");

        assertThat(viaAgent.exit()).as("%s", viaAgent).isZero();
        assertThat(viaJvm.exit()).as("%s", viaJvm).isZero();
        assertThat(servedCalls()).isEqualTo(before + 1);
        assertThat(viaAgent.out()).contains("\"name\":\"" + name + "\"");
        assertThat(viaJvm.out()).contains("\"name\":\"" + name + "\"");
        assertThat(CniHost.links(a)).containsExactly(name);
        assertThat(CniHost.links(b)).containsExactly(name);

        assertThat(launch(host.ns, vars("DEL", "uni-a", a.netnsPath().toString(), name), Stdin.of(conf), socket.toString()).exit())
                .isZero();
        assertThat(launch(host.ns, vars("DEL", "uni-b", b.netnsPath().toString(), name), Stdin.of(conf), "").exit()).isZero();
        assertThat(CniHost.links(a)).isEmpty();
        assertThat(CniHost.links(b)).isEmpty();
    }

    @Test
    void idleConnectionsDoNotStallALauncherCall() throws IOException {
        List<Process> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                // connected from the host's namespace, never sending: stdin is a pipe the test keeps open
                idle.add(new ProcessBuilder(host.ns.wrap(List.of("socat", "-t", "60", "STDIO", "UNIX-CONNECT:" + socket)))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start());
            }
            // all of them accepted by the agent: its ends of the connections carry the socket's path, connected (03)
            await().atMost(Duration.ofSeconds(20)).until(() -> host.ns.execOk("cat", "/proc/net/unix").lines()
                    .map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length >= 8 && f[5].equals("03") && f[7].equals(socket.toString())).count() >= 12);
            long before = servedCalls();
            Run status = launch(host.ns, Map.of("CNI_COMMAND", utf8("STATUS")), Stdin.of(host.conf("1.1.0")), socket.toString());

            assertThat(status.exit()).as("%s", status).isZero();
            assertThat(status.millis()).as("served while 12 connections sit idle").isLessThan(5_000);
            assertThat(servedCalls()).isEqualTo(before + 1);
        } finally {
            for (Process p : idle) {
                p.destroyForcibly();
            }
        }
    }

    @Test
    void anAddWhoseCallerWentAwayWhileItWaitedIsUndone() throws Exception {
        TestNamespace victim = host.pod();
        String conf = host.conf("1.0.0");
        // a first ADD and DEL make the IPAM directory and its lock file as the plugin wants them
        assertThat(launch(host.ns, vars("ADD", "warm", victim.netnsPath().toString(), "eth0"), Stdin.of(conf), socket.toString())
                .exit()).isZero();
        assertThat(launch(host.ns, vars("DEL", "warm", victim.netnsPath().toString(), "eth0"), Stdin.of(conf), socket.toString())
                .exit()).isZero();
        Path lockFile = host.dataDir.resolve("lock");

        Process launcher;
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE); FileLock held = ch.lock()) {
            Path script = host.dir.resolve("gone.sh");
            Files.writeString(script, "export CNI_COMMAND=ADD CNI_CONTAINERID=gone CNI_NETNS='" + victim.netnsPath()
                    + "' CNI_IFNAME=eth0\nexec \"$1\" < '" + Files.writeString(host.dir.resolve("gone.json"), conf) + "'\n");
            ProcessBuilder pb = new ProcessBuilder(host.ns.wrap(List.of("sh", script.toString(), CniHost.executable().toString())))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("JAVAOVERLAY_CNI_SOCKET", socket.toString());
            launcher = pb.start();
            // the agent took the call (its end of the connection shows, connected, in /proc/net/unix) and
            // waits for the lock, polling it for up to LockFile.DEFAULT_WAIT (10 s)
            await().atMost(Duration.ofSeconds(20)).until(() -> host.ns.execOk("cat", "/proc/net/unix").lines()
                    .map(l -> l.trim().split("\\s+"))
                    .anyMatch(f -> f.length >= 8 && f[5].equals("03") && f[7].equals(socket.toString())));
            Thread.sleep(1000);
            // the runtime gives up: the launcher and its socat are killed; then the lock is free, within the wait
            launcher.descendants().forEach(ProcessHandle::destroyForcibly);
            launcher.destroyForcibly();
            launcher.waitFor(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(agent.log()).contains("CNI ADD gone eth0: error 11")
                .contains("the caller went away"));
        assertThat(host.reservations()).as("no address kept for the caller that went away").isEmpty();
        assertThat(CniHost.links(victim)).isEmpty();
        assertThat(host.hostLinks().stream().filter(l -> l.startsWith("veth"))).isEmpty();
    }
}
