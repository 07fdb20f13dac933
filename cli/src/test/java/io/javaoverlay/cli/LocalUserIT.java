package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.files.LockFile;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.IpamException;
import io.javaoverlay.docker.PluginClient;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.LockHolder;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;
import io.javaoverlay.testkit.TestProcess;

/**
 * What an unprivileged local user can do to a host: nothing to the agent's and the plugins'
 * state, locks and sockets, and nothing that stalls a CNI or Docker call for longer than the
 * lock bound.
 *
 * <p>One real {@code bin/javaoverlay docker-plugin} process (the agent on the embedded store,
 * the CNI socket and the Docker plugin in one JVM, as the managed plugin runs) in a host
 * namespace, every path of its own under a directory that every user can traverse (as
 * {@code /run} and {@code /var/lib} are), so each check is about the mode of what javaoverlay
 * made. The local user is uid/gid 65534 (nobody) via {@code setpriv}; the lock holder that
 * outlasts the bound is a root-side process holding a shared lock, as the local user did
 * before the files were closed to them.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class LocalUserIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.withHosts(1);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BRIDGE = "jolu0";
    private static final String NOBODY = "65534";

    private static Path base;
    private static Path subnetFile;
    private static Path dataDir;
    private static Path leaseDir;
    private static Path ipamDir;
    private static Path dockerDir;
    private static Path cniSocket;
    private static Path pluginSocket;
    private static TestHost host;
    private static TestProcess agent;
    private static PluginClient docker;
    private static String poolId;
    private static int pods;

    @BeforeAll
    static void startAgentAndPlugins() throws IOException {
        Requirements.check().root()
                .command("setpriv", "util-linux")
                .command("flock", "util-linux")
                .command("socat", "socat")
                .orAbort();
        net.start();
        base = net.workDir().resolve("localuser");
        // the test's own directories are open to everyone, as /run and /var/lib are: whatever
        // the local user cannot reach below them is closed by javaoverlay's own modes
        for (Path d : List.of(net.workDir(), Files.createDirectories(base), Files.createDirectories(base.resolve("run")),
                Files.createDirectories(base.resolve("var")))) {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        subnetFile = base.resolve("run/flannel/subnet.env");
        dataDir = base.resolve("var/data");
        leaseDir = base.resolve("var/leases");
        ipamDir = base.resolve("var/ipam");
        dockerDir = base.resolve("var/docker");
        cniSocket = base.resolve("run/javaoverlay/cni.sock");
        pluginSocket = base.resolve("run/docker/plugins/javaoverlay.sock");
        host = net.host(1);
        agent = host.start("agent", List.of(AgentProcess.launcher().toString(), "docker-plugin",
                "--lease-dir", leaseDir.toString(),
                "--iface", host.underlayInterface(),
                "--subnet-file", subnetFile.toString(),
                "--data-dir", dataDir.toString(),
                "--cni-socket", cniSocket.toString(),
                "--healthz-ip", "127.0.0.1", "--healthz-port", "8471",
                "--plugin-socket", pluginSocket.toString(),
                "--docker-data-dir", dockerDir.toString(),
                "--ipam-dir", ipamDir.toString(),
                "--bridge", BRIDGE), Map.of());
        agent.awaitLog("javaoverlay is ready", Duration.ofSeconds(90));
        docker = new PluginClient(pluginSocket);

        // something in every kind of file: a CNI pod, a Docker network with an address
        CniRun add = cni("ADD", "first", newPod(), cniSocket.toString());
        assertThat(add.exit()).as("first ADD: %s", add).isZero();
        JsonNode pool = docker.call("IpamDriver.RequestPool", Map.of("AddressSpace", "JavaOverlayLocal", "Pool", "", "V6", false));
        poolId = pool.get("PoolID").asText();
        JsonNode created = docker.call("NetworkDriver.CreateNetwork", Map.of("NetworkID", "a".repeat(64), "Options", Map.of(),
                "IPv4Data", List.of(Map.of("AddressSpace", "JavaOverlayLocal", "Pool", pool.get("Pool").asText(),
                        "Gateway", pool.get("Data").get("com.docker.network.gateway").asText()))));
        assertThat(created.has("Err")).as("CreateNetwork: %s", created).isFalse();
        JsonNode address = requestAddress("02:42:0a:00:00:01");
        assertThat(address.has("Error")).as("RequestAddress: %s", address).isFalse();
    }

    // ---- modes ----

    @Test
    void everyDirectoryIsOwnerOnlyAndTheLocalUserCanNeitherListNorWriteIt() {
        List<Path> dirs = List.of(dataDir, leaseDir, leaseDir.resolve("subnets"), ipamDir, dockerDir,
                dockerDir.resolve("networks"), dockerDir.resolve("endpoints"), cniSocket.getParent(), pluginSocket.getParent());
        for (Path d : dirs) {
            assertThat(mode(d)).as("%s", d).isEqualTo("rwx------");
            assertDenied(d, "ls " + q(d));
            assertDenied(d, "touch " + q(d.resolve("intruder")));
        }
    }

    @Test
    void everyLockAndStateFileIsOwnerOnlyAndTheLocalUserCanNeitherLockNorWriteIt() throws IOException {
        List<Path> files = new ArrayList<>(List.of(leaseDir.resolve(".lock"), leaseDir.resolve("revision"),
                ipamDir.resolve("lock"), ipamDir.resolve("last_reserved_ip"), dataDir.resolve("vxlan-1.mac")));
        files.addAll(list(leaseDir.resolve("subnets")));
        files.addAll(list(dockerDir.resolve("networks")));
        List<Path> records = list(ipamDir).stream().filter(p -> Character.isDigit(p.getFileName().toString().charAt(0))).toList();
        assertThat(records).as("the CNI pod's and the Docker container's addresses").hasSize(2);
        files.addAll(records);
        for (Path f : files) {
            assertThat(f).exists();
            assertThat(mode(f)).as("%s", f).isEqualTo("rw-------");
            // a shared lock is what stalled every caller before; opening for it must fail
            assertDenied(f, "flock --shared --nonblock " + q(f) + " true");
            assertDenied(f, "cat " + q(f));
            assertDenied(f, "echo x >> " + q(f));
        }
    }

    @Test
    void theSocketsAreOwnerOnlyAndTheLocalUserCannotConnect() {
        for (Path s : List.of(cniSocket, pluginSocket)) {
            assertThat(mode(s)).as("%s", s).isEqualTo("rw-------");
            assertDenied(s, "socat -u /dev/null UNIX-CONNECT:" + q(s));
        }
    }

    @Test
    void theLocalUserCanReadSubnetEnvAsWithFlannel() throws IOException {
        assertThat(mode(subnetFile)).isEqualTo("rw-r--r--");
        assertThat(mode(subnetFile.getParent())).isEqualTo("rwxr-xr-x");
        ExecResult cat = asNobody("cat " + q(subnetFile));
        assertThat(cat.exitCode()).as("%s", cat.describe()).isZero();
        assertThat(cat.stdout()).isEqualTo(Files.readString(subnetFile)).startsWith("FLANNEL_NETWORK=");
    }

    @Test
    void anIpamDirectoryOwnedByAnotherUserIsRefused() throws IOException {
        Path foreign = Files.createDirectory(base.resolve("var/foreign-ipam"));
        Exec.ok("chown", NOBODY + ":" + NOBODY, foreign.toString());
        assertThatThrownBy(() -> DiskStore.open(foreign))
                .isInstanceOfSatisfying(IpamException.class, e -> assertThat(e.kind()).isEqualTo(IpamException.Kind.STORE))
                .hasMessageContaining("belongs to uid " + NOBODY);
        assertThat(list(foreign)).as("nothing made in it").isEmpty();
    }

    // ---- a lock held longer than the bound ----

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"agent socket", "own JVM"})
    void cniAddFailsWithTryAgainWithinTheBoundAndLeavesNothingWhileTheIpamLockIsHeld(String path) throws IOException {
        String socket = path.equals("agent socket") ? cniSocket.toString() : "";
        TestNamespace pod = newPod();
        List<String> linksBefore = hostLinks();
        List<Path> recordsBefore = list(ipamDir);
        CniRun add;
        long tookMs;
        try (LockHolder holder = LockHolder.hold(ipamDir.resolve("lock"))) {
            long start = System.nanoTime();
            add = cni("ADD", "held-" + socket.length(), pod, socket);
            tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        }
        assertThat(add.exit()).as("%s", add).isNotZero();
        JsonNode error = JSON.readTree(add.stdout());
        assertThat(error.get("code").asInt()).as("%s", add).isEqualTo(11);
        assertThat(error.get("msg").asText()).contains("locked by another process");
        assertThat(error.get("details").asText()).contains(ipamDir.resolve("lock").toString(), "held by another process");
        assertThat(tookMs).as("ends at the lock bound, not when the holder lets go")
                .isBetween(LockFile.DEFAULT_WAIT.toMillis() - 100, LockFile.DEFAULT_WAIT.toMillis() + 15_000);
        assertThat(hostLinks()).as("no veth left behind").isEqualTo(linksBefore);
        assertThat(podLinks(pod)).as("nothing in the pod").isEmpty();
        assertThat(list(ipamDir)).as("no reservation").isEqualTo(recordsBefore);

        // the same call once the holder is gone: served
        CniRun again = cni("ADD", "held-" + socket.length(), pod, socket);
        assertThat(again.exit()).as("%s", again).isZero();
        assertThat(cni("DEL", "held-" + socket.length(), pod, socket).exit()).isZero();
    }

    @Test
    void dockerRequestAddressIsAnErrorWithinTheBoundWhileOtherRequestsStillAnswer() throws Exception {
        CompletableFuture<JsonNode> stuck;
        long start;
        try (LockHolder holder = LockHolder.hold(ipamDir.resolve("lock"))) {
            start = System.nanoTime();
            stuck = CompletableFuture.supplyAsync(() -> requestAddress("02:42:0a:00:00:02"));
            TimeUnit.MILLISECONDS.sleep(1_500);
            // a handshake answers at once; a pool request waits its turn and is served, not stalled for good
            long capsStart = System.nanoTime();
            assertThat(docker.call("NetworkDriver.GetCapabilities", null).get("Scope").asText()).isEqualTo("local");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - capsStart)).isLessThan(2_000);
            JsonNode pool = docker.call("IpamDriver.RequestPool", Map.of("AddressSpace", "JavaOverlayLocal", "Pool", "", "V6", false));
            assertThat(pool.has("Error")).as("RequestPool behind the stuck request: %s", pool).isFalse();
            // the lease's pool is held already (set-up), so this second request is answered as a repeat (":any")
            assertThat(pool.get("PoolID").asText()).startsWith(poolId);

            JsonNode reply = stuck.get(LockFile.DEFAULT_WAIT.toSeconds() + 20, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(reply.get("Error").asText()).contains(ipamDir.resolve("lock").toString(), "held by another process");
            assertThat(tookMs).isLessThan(LockFile.DEFAULT_WAIT.toMillis() + 10_000);
        }
        JsonNode served = requestAddress("02:42:0a:00:00:02");
        assertThat(served.has("Error")).as("served once the holder is gone: %s", served).isFalse();
    }

    @Test
    void aStartingAgentSaysWhichLockItWaitsForAndStartsOnceItIsFree() throws Exception {
        Path leases = base.resolve("var/second-leases");
        Path lock = new io.javaoverlay.core.lease.DiskLeaseStore(leases, java.util.Optional.empty()).lockFile();
        Files.writeString(lock, "");
        try (AgentProcess second = new AgentProcess(base.resolve("var/second"), List.of("--lease-dir", leases.toString(),
                "--iface", "127.0.0.1"), Map.of())) {
            try (LockHolder holder = LockHolder.hold(lock)) {
                second.start();
                org.awaitility.Awaitility.await().atMost(LockFile.DEFAULT_WAIT.plusSeconds(30))
                        .failFast("agent exited", () -> !second.isAlive())
                        .until(() -> second.log().contains(lock + " is held by another process"));
                assertThat(second.readyz()).as("not ready while the lease store is locked").isNotEqualTo(200);
            }
            second.awaitReady();
        }
    }

    // ---- helpers ----

    private static JsonNode requestAddress(String mac) {
        return docker.call("IpamDriver.RequestAddress", Map.of("PoolID", poolId, "Address", "",
                "Options", Map.of("com.docker.network.endpoint.macaddress", mac)));
    }

    private static synchronized TestNamespace newPod() {
        return net.createNamespace("p" + (++pods));
    }

    record CniRun(int exit, String stdout, String stderr) {}

    /** The CNI executable inside the host, through {@code socket} ("" for its own JVM). */
    private static CniRun cni(String command, String id, TestNamespace pod, String socket) {
        Map<String, String> env = OverlayCluster.cniEnv(command, id, pod);
        env.put("JAVAOVERLAY_CNI_SOCKET", socket);
        Map<String, Object> conf = new LinkedHashMap<>();
        conf.put("cniVersion", "1.0.0");
        conf.put("name", "localuser");
        conf.put("type", "javaoverlay");
        conf.put("subnetFile", subnetFile.toString());
        conf.put("dataDir", ipamDir.toString());
        conf.put("bridge", BRIDGE);
        ExecResult r = host.exec(List.of(AgentProcess.launcher().toString()), env,
                new String(JsonTree.format(conf), StandardCharsets.UTF_8), Duration.ofSeconds(90));
        return new CniRun(r.exitCode(), r.stdout(), r.stderr());
    }

    private static ExecResult asNobody(String shell) {
        return Exec.run(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups", "--", "sh", "-c", shell),
                Map.of(), null, Duration.ofSeconds(30));
    }

    /** The local user's attempt fails with EACCES ("Permission denied"), not for any other reason. */
    private static void assertDenied(Path target, String shell) {
        ExecResult r = asNobody(shell);
        assertThat(r.exitCode()).as("as nobody on %s: %s", target, r.describe()).isNotZero();
        assertThat(r.stderr()).as("as nobody on %s: %s", target, r.describe()).contains("Permission denied");
    }

    private static String q(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }

    private static String mode(Path p) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    private static List<String> hostLinks() {
        List<String> out = new ArrayList<>();
        host.ipJson("link", "show").forEach(l -> out.add(l.get("ifname").asText()));
        return out.stream().sorted().toList();
    }

    private static List<String> podLinks(TestNamespace pod) {
        List<String> out = new ArrayList<>();
        pod.ipJson("link", "show").forEach(l -> {
            if (!l.get("ifname").asText().equals("lo")) {
                out.add(l.get("ifname").asText());
            }
        });
        return out;
    }
}
