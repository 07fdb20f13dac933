package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.cli.cni.CniHost.Run;
import io.javaoverlay.cni.testing.CniJson;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * The CNI plugin as runtimes run it: {@code bin/javaoverlay} started inside a host namespace
 * with CNI variables and the config on stdin. Every result is checked against the spec's shape
 * for its version and against the kernel (links, addresses, routes in the pod and host
 * namespaces, reservations on disk).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class CniPluginIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    private static int hostCount;

    private static synchronized CniHost host(boolean agentMasq) {
        return CniHost.create(net, "h" + (++hostCount), agentMasq);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> ip(Map<String, Object> result) {
        return (Map<String, Object>) ((List<Object>) result.get("ips")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> itf(Map<String, Object> result, int index) {
        return (Map<String, Object>) ((List<Object>) result.get("interfaces")).get(index);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"})
    void addCheckAndDelInEveryVersion(String version) {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        Run add = host.invoke("ADD", "c-" + version.replace('.', '-'), pod, host.conf(version));
        assertThat(add.exit()).as("ADD: %s", add).isZero();
        Map<String, Object> result = CniJson.assertAddResult(add.stdout(), version);

        String address = (String) ip(result).get("address");
        String ipOnly = address.substring(0, address.indexOf('/'));
        assertThat(host.lease.contains(io.javaoverlay.core.net.Ip4.parse(ipOnly))).isTrue();
        assertThat(ip(result).get("gateway")).isEqualTo(host.gateway().toString());
        Map<String, Object> podItf = itf(result, ((Long) ip(result).get("interface")).intValue());
        assertThat(podItf).containsEntry("name", "eth0").containsEntry("sandbox", pod.netnsPath().toString());

        // the pod's side, as the kernel sees it
        JsonNode eth0 = pod.ipJson("addr", "show", "dev", "eth0").get(0);
        assertThat(eth0.get("mtu").asInt()).isEqualTo(CniHost.MTU);
        assertThat(eth0.get("address").asText()).isEqualTo(podItf.get("mac"));
        assertThat(eth0.get("flags").toString()).contains("\"UP\"");
        assertThat(eth0.get("addr_info").toString()).contains("\"local\":\"" + ipOnly + "\"", "\"prefixlen\":24");
        List<String> routes = new ArrayList<>();
        pod.ipJson("route", "show").forEach(r -> routes.add(r.get("dst").asText() + " via " + r.path("gateway").asText("-")));
        assertThat(routes).contains("default via " + host.gateway(), host.network + " via " + host.gateway());

        // the host's side: bridge with the gateway address, veth on it with hairpin
        JsonNode bridge = host.ns.ipJson("addr", "show", "dev", CniHost.BRIDGE).get(0);
        assertThat(bridge.get("addr_info").toString()).contains("\"local\":\"" + host.gateway() + "\"");
        String veth = (String) itf(result, 1).get("name");
        JsonNode hostEnd = host.ns.ipJson("-d", "link", "show", "dev", veth).get(0);
        assertThat(hostEnd.get("master").asText()).isEqualTo(CniHost.BRIDGE);
        assertThat(hostEnd.at("/linkinfo/info_slave_data/hairpin").asBoolean()).as("hairpin").isTrue();
        assertThat(host.reservations()).containsExactly(ipOnly);

        if (!version.equals("0.3.0") && !version.equals("0.3.1")) {
            String withPrev = host.conf(version, Map.of("prevResult", CniJson.parseObject(add.stdout())));
            Run check = host.invoke("CHECK", "c-" + version.replace('.', '-'), pod, withPrev);
            assertThat(check.exit()).as("CHECK: %s", check).isZero();
            assertThat(check.stdout()).isEmpty();
        }

        String delConf = host.conf(version, Map.of("prevResult", CniJson.parseObject(add.stdout())));
        Run del = host.invoke("DEL", "c-" + version.replace('.', '-'), pod, delConf);
        assertThat(del.exit()).as("DEL: %s", del).isZero();
        assertThat(del.stdout()).isEmpty();
        assertThat(CniHost.links(pod)).isEmpty();
        assertThat(host.hostLinks()).containsExactly(CniHost.BRIDGE);
        assertThat(host.reservations()).isEmpty();
        assertThat(host.invoke("DEL", "c-" + version.replace('.', '-'), pod, delConf).exit()).as("repeated DEL").isZero();
    }

    @Test
    void checkFailsWhenSomethingAddMadeIsGone() {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        Run add = host.addOk("c1", pod, "1.0.0");
        String withPrev = host.conf("1.0.0", Map.of("prevResult", CniJson.parseObject(add.stdout())));
        pod.ip("route", "del", "default");
        Run check = host.invoke("CHECK", "c1", pod, withPrev);
        assertThat(check.exit()).isEqualTo(1);
        assertThat(CniJson.assertError(check.stdout(), 107).get("details").toString()).contains("0.0.0.0/0");
    }

    @Test
    void podsOnOneHostReachEachOtherAndTheirGateway() {
        CniHost host = host(true);
        TestNamespace a = host.pod();
        TestNamespace b = host.pod();
        Run addA = host.invoke("ADD", "a", a, host.conf("1.0.0"));
        Run addB = host.invoke("ADD", "b", b, host.conf("1.0.0"));
        assertThat(addA.exit()).as("%s", addA).isZero();
        assertThat(addB.exit()).as("%s", addB).isZero();
        String ipA = ((String) ip(CniJson.parseObject(addA.stdout())).get("address")).split("/")[0];
        String ipB = ((String) ip(CniJson.parseObject(addB.stdout())).get("address")).split("/")[0];
        assertThat(ipA).isNotEqualTo(ipB);
        assertThat(a.ping(ipB, 3)).as("a -> b").isTrue();
        assertThat(b.ping(ipA, 3)).as("b -> a").isTrue();
        assertThat(a.ping(host.gateway().toString(), 3)).as("a -> gateway").isTrue();
        assertThat(host.ns.ping(ipA, 3)).as("host -> a").isTrue();
    }

    @Test
    void statusReflectsSubnetEnvAndGcFreesStaleReservations() throws Exception {
        CniHost host = host(true);
        TestNamespace keep = host.pod();
        TestNamespace stale = host.pod();
        host.addOk("keep", keep, "1.1.0");
        host.addOk("stale", stale, "1.1.0");
        assertThat(host.reservations()).hasSize(2);

        Run status = host.run(Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/usr/lib/cni"), host.conf("1.1.0"));
        assertThat(status.exit()).as("%s", status).isZero();
        assertThat(status.stdout()).isEmpty();

        Run gc = host.run(Map.of("CNI_COMMAND", "GC", "CNI_PATH", "/usr/lib/cni"), host.conf("1.1.0",
                Map.of("cni.dev/valid-attachments", List.of(Map.of("containerID", "keep", "ifname", "eth0")))));
        assertThat(gc.exit()).as("%s", gc).isZero();
        assertThat(gc.stdout()).isEmpty();
        assertThat(host.reservations()).hasSize(1);
        String kept = ((String) ip(CniJson.parseObject(
                host.invoke("ADD", "again", host.pod(), host.conf("1.1.0")).stdout())).get("address")).split("/")[0];
        assertThat(host.reservations()).hasSize(2).contains(kept);

        Files.delete(host.subnetFile);
        Run down = host.run(Map.of("CNI_COMMAND", "STATUS", "CNI_PATH", "/usr/lib/cni"), host.conf("1.1.0"));
        assertThat(down.exit()).isEqualTo(1);
        assertThat(CniJson.assertError(down.stdout(), 51).get("details").toString()).contains(host.subnetFile.toString());
    }

    @Test
    void delIsBestEffortWhateverIsAlreadyGone() {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        host.addOk("c1", pod, "1.0.0");
        // containerd sends an empty CNI_NETNS once the namespace is gone
        Run noNetns = host.invoke("DEL", "c1", null, host.conf("1.0.0"));
        assertThat(noNetns.exit()).as("%s", noNetns).isZero();
        assertThat(host.reservations()).isEmpty();
        // a namespace path that no longer exists, a container never added
        TestNamespace gone = host.pod();
        String path = gone.netnsPath().toString();
        io.javaoverlay.testkit.Exec.run("ip", "netns", "del", gone.name()).orThrow();
        Map<String, String> env = CniHost.env("DEL", "never-added", null, "eth0");
        env.put("CNI_NETNS", path);
        assertThat(host.run(env, host.conf("1.0.0")).exit()).isZero();
        // without subnet.env (agent stopped) DEL still frees the address
        TestNamespace pod2 = host.pod();
        host.addOk("c2", pod2, "1.0.0");
        assertThat(host.subnetFile.toFile().delete()).isTrue();
        assertThat(host.invoke("DEL", "c2", pod2, host.conf("1.0.0")).exit()).isZero();
        assertThat(host.reservations()).isEmpty();
        assertThat(CniHost.links(pod2)).isEmpty();
    }

    @Test
    void anExistingInterfaceIsRefusedAndNothingLeaks() {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        pod.ip("link", "add", "eth0", "type", "bridge");
        Run add = host.invoke("ADD", "c1", pod, host.conf("1.0.0"));
        assertThat(add.exit()).isEqualTo(1);
        CniJson.assertError(add.stdout(), 104);
        assertThat(host.reservations()).isEmpty();
        assertThat(CniHost.links(pod)).containsExactly("eth0");
        assertThat(host.hostLinks().stream().filter(l -> l.startsWith("veth"))).isEmpty();
    }

    @Test
    void withoutCapSysAdminTheErrorSaysSoAndNothingLeaks() {
        // A runtime (or the agent serving CNI calls) without CAP_SYS_ADMIN cannot setns into the
        // pod: the error must name the capability, not blame CNI_NETNS, which is fine.
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        ExecResult r = host.ns.exec(List.of("setpriv", "--bounding-set", "-sys_admin", "--",
                CniHost.executable().toString()), CniHost.env("ADD", "c1", pod, "eth0"), host.conf("1.0.0"),
                Duration.ofSeconds(60));
        assertThat(r.exitCode()).as("%s", r).isEqualTo(1);
        CniJson.assertError(r.stdout(), 105);
        assertThat(r.stdout()).contains("CAP_SYS_ADMIN").doesNotContain("is not a network namespace");
        assertThat(host.reservations()).isEmpty();
        assertThat(CniHost.links(pod)).isEmpty();
        assertThat(host.hostLinks().stream().filter(l -> l.startsWith("veth"))).isEmpty();
    }

    @Test
    void aKernelRefusalHalfWayRollsBackTheVethAndTheAddress() {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        // a default route already in the pod: ours comes last in ADD and the kernel refuses it (EEXIST)
        pod.ip("link", "add", "other0", "type", "bridge");
        pod.ip("addr", "add", "192.0.2.1/24", "dev", "other0");
        pod.ip("link", "set", "other0", "up");
        pod.ip("route", "add", "default", "via", "192.0.2.254");
        Run add = host.invoke("ADD", "c1", pod, host.conf("1.0.0"));
        assertThat(add.exit()).as("%s", add).isEqualTo(1);
        assertThat(CniJson.assertError(add.stdout(), 105).get("details").toString()).contains("EEXIST");
        assertThat(CniHost.links(pod)).containsExactly("other0");
        assertThat(host.hostLinks()).containsExactly(CniHost.BRIDGE);
        assertThat(host.reservations()).isEmpty();
        // without the default route the same pod can be added
        Run noDefault = host.invoke("ADD", "c1", pod, host.conf("1.0.0", Map.of("isDefaultGateway", false)));
        assertThat(noDefault.exit()).as("%s", noDefault).isZero();
        assertThat(host.reservations()).hasSize(1);
    }

    @Test
    void badInputGetsTheSpecsCodeAndLeaksNothing() {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        record Case(String what, Map<String, String> env, String stdin, int code) {}
        Map<String, String> good = CniHost.env("ADD", "c1", pod, "eth0");
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("malformed JSON", good, "{\"cniVersion\":\"1.0.0\",", 6));
        cases.add(new Case("not an object", good, "[]", 6));
        Map<String, String> noId = new java.util.HashMap<>(good);
        noId.remove("CNI_CONTAINERID");
        cases.add(new Case("missing CNI_CONTAINERID", noId, host.conf("1.0.0"), 4));
        Map<String, String> noIf = new java.util.HashMap<>(good);
        noIf.remove("CNI_IFNAME");
        cases.add(new Case("missing CNI_IFNAME", noIf, host.conf("1.0.0"), 4));
        Map<String, String> badId = new java.util.HashMap<>(good);
        badId.put("CNI_CONTAINERID", "../etc/passwd");
        cases.add(new Case("bad container ID", badId, host.conf("1.0.0"), 4));
        Map<String, String> noNs = new java.util.HashMap<>(good);
        noNs.put("CNI_NETNS", "/run/netns/" + net.prefix() + "-does-not-exist");
        cases.add(new Case("netns does not exist", noNs, host.conf("1.0.0"), 4));
        Map<String, String> emptyNs = new java.util.HashMap<>(good);
        emptyNs.put("CNI_NETNS", "");
        cases.add(new Case("CNI_NETNS empty on ADD", emptyNs, host.conf("1.0.0"), 4));
        Map<String, String> notNs = new java.util.HashMap<>(good);
        notNs.put("CNI_NETNS", host.subnetFile.toString());
        cases.add(new Case("CNI_NETNS is a plain file", notNs, host.conf("1.0.0"), 4));
        Map<String, String> ownNs = new java.util.HashMap<>(good);
        ownNs.put("CNI_NETNS", host.ns.netnsPath().toString());
        cases.add(new Case("CNI_NETNS is the plugin's own namespace", ownNs, host.conf("1.0.0"), 4));
        cases.add(new Case("unsupported version", good, host.conf("0.5.0"), 1));
        cases.add(new Case("CHECK in 0.3.1", CniHost.env("CHECK", "c1", pod, "eth0"), host.conf("0.3.1"), 1));
        cases.add(new Case("invalid mtu", good, host.conf("1.0.0", Map.of("mtu", "jumbo")), 7));
        cases.add(new Case("empty CNI_COMMAND", Map.of("CNI_COMMAND", "", "CNI_CONTAINERID", "c1"), host.conf("1.0.0"), 4));
        cases.add(new Case("unknown CNI_COMMAND", Map.of("CNI_COMMAND", "ATTACH"), host.conf("1.0.0"), 4));
        for (Case c : cases) {
            Run r = host.run(c.env(), c.stdin());
            assertThat(r.exit()).as("%s: %s", c.what(), r).isEqualTo(1);
            CniJson.assertError(r.stdout(), c.code());
            assertThat(r.stdout()).as(c.what()).doesNotContain("\tat ").hasLineCount(1);
        }
        assertThat(host.reservations()).isEmpty();
        assertThat(CniHost.links(pod)).isEmpty();
        assertThat(host.hostLinks().stream().filter(l -> l.startsWith("veth"))).isEmpty();
    }

    @Test
    void missingSubnetEnvIsTryAgainNamingTheFileAndStatusNotAvailable() throws Exception {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        Files.delete(host.subnetFile);
        Run add = host.invoke("ADD", "c1", pod, host.conf("1.1.0"));
        assertThat(add.exit()).isEqualTo(1);
        Map<String, Object> e = CniJson.assertError(add.stdout(), 11);
        assertThat(e.get("msg").toString()).contains("agent is not running");
        assertThat(e.get("details").toString()).contains(host.subnetFile.toString());
        Run status = host.run(Map.of("CNI_COMMAND", "STATUS"), host.conf("1.1.0"));
        CniJson.assertError(status.stdout(), 50);
        assertThat(CniHost.links(pod)).isEmpty();
        assertThat(host.hostLinks()).isEmpty();
        assertThat(host.reservations()).isEmpty();
    }

    @Test
    void masqueradesWhenTheAgentDoesNot() {
        CniHost host = host(false);
        TestNamespace pod = host.pod();
        Run add = host.addOk("c1", pod, "1.0.0");
        String nat = host.ns.execOk("iptables", "-t", "nat", "-S");
        assertThat(nat).contains("-A POSTROUTING -m comment --comment \"javaoverlay cni podnet\" -j JO-CNI-");
        assertThat(nat).contains("-s " + host.lease + " -d " + host.network + " -m comment --comment \"javaoverlay cni podnet\" -j RETURN");
        assertThat(nat).contains("-s " + host.lease + " ! -d 224.0.0.0/4 -m comment --comment \"javaoverlay cni podnet\" -j MASQUERADE");
        String withPrev = host.conf("1.0.0", Map.of("prevResult", CniJson.parseObject(add.stdout())));
        assertThat(host.invoke("CHECK", "c1", pod, withPrev).exit()).isZero();
        // a second ADD finds the chain as wanted and leaves it alone
        host.addOk("c2", host.pod(), "1.0.0");
        assertThat(host.ns.execOk("iptables", "-t", "nat", "-S")).isEqualTo(nat);
    }

    @Test
    void concurrentAddsGetDistinctAddressesAndOneBridge() throws Exception {
        CniHost host = host(false);
        int n = 8;
        List<TestNamespace> pods = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            pods.add(host.pod());
        }
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Run>> runs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                TestNamespace pod = pods.get(i);
                String id = "par" + i;
                runs.add(pool.submit(() -> host.invoke("ADD", id, pod, host.conf("1.0.0"))));
            }
            Set<String> addresses = new HashSet<>();
            for (Future<Run> f : runs) {
                Run r = f.get(120, TimeUnit.SECONDS);
                assertThat(r.exit()).as("%s", r).isZero();
                addresses.add((String) ip(CniJson.parseObject(r.stdout())).get("address"));
            }
            assertThat(addresses).hasSize(n);
            assertThat(host.reservations()).hasSize(n);
            assertThat(host.hostLinks().stream().filter(l -> l.equals(CniHost.BRIDGE))).hasSize(1);
            assertThat(host.ns.execOk("iptables", "-t", "nat", "-S").lines().filter(l -> l.contains("-j MASQUERADE"))).hasSize(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void versionListsTheSupportedVersions() {
        CniHost host = host(true);
        Run v = host.run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}");
        assertThat(v.exit()).isZero();
        assertThat(CniJson.parseObject(v.stdout())).containsEntry("cniVersion", "1.0.0")
                .containsEntry("supportedVersions", List.of("0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"));
    }

    /** The CNI plugin's own JVM stays small: the agent's JVM metrics (a few hundred ms to set up) are never loaded there. */
    @Test
    void theJvmPluginLoadsNoMetricsInstrumentation() throws Exception {
        CniHost host = host(true);
        TestNamespace pod = host.pod();
        // a file the JVM creates: one that exists already it would rotate to NAME.0 and leave behind
        java.nio.file.Path dir = Files.createTempDirectory("javaoverlay-cni-classes");
        java.nio.file.Path classes = dir.resolve("class-load.log");
        try {
            Map<String, String> env = new java.util.HashMap<>(CniHost.env("ADD", "classes", pod, "eth0"));
            env.put("JAVAOVERLAY_CNI_SOCKET", ""); // the plugin in a JVM of its own, whatever agent runs here
            env.put("JAVAOVERLAY_JAVA_OPTS", "-Xlog:class+load=info:file=" + classes);
            Run add = host.run(env, host.conf("1.0.0"));
            assertThat(add.exit()).as("%s", add).isZero();
            String loaded = Files.readString(classes);
            assertThat(loaded).as("the log names the plugin's classes").contains("io.javaoverlay.cni.CniMain");
            assertThat(loaded).doesNotContain("io.prometheus.metrics.instrumentation").doesNotContain("RuntimeMetrics");
        } finally {
            try (java.util.stream.Stream<java.nio.file.Path> files = Files.list(dir)) {
                for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                    Files.deleteIfExists(f);
                }
            }
            Files.delete(dir);
        }
    }
}
