package io.javaoverlay.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.javaoverlay.testkit.EtcdExtension;

/**
 * The shipped {@code bin/flanneld} (and {@code bin/javaoverlay agent}) run as real processes
 * with command lines verbatim from flannel's packaging and docs, and with FLANNELD_* sets,
 * against a real etcd; control plane only, public IPs on loopback (as {@link AgentProcessIT}).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FlanneldProcessIT {

    @RegisterExtension
    static final EtcdExtension etcd = EtcdExtension.builder().build();

    static final String CONFIG = "{\"Network\":\"10.51.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}";

    @RegisterExtension
    final AgentProcesses agents = new AgentProcesses("jo-flanneld-");
    private String prefix;

    @BeforeEach
    void setUp() throws Exception {
        prefix = agents.prefix();
        agents.putConfig(etcd, CONFIG);
    }

    static Path flanneld() {
        return AgentProcess.launcher().resolveSibling("flanneld");
    }

    static ByteSequence bytes(String s) {
        return AgentProcesses.bytes(s);
    }

    AgentProcess flanneldProcess(String name, Map<String, String> env, List<String> args) {
        return agents.agent(name, List.of(flanneld().toString()), env, args);
    }

    List<KeyValue> subnetKvs() throws Exception {
        return agents.subnetKvs(etcd);
    }

    @Test
    void flannelsSystemdUnitLineAndAFlanneldEnvironmentLeaseSubnetsThatSeeEachOther() throws Exception {
        // the unit's ExecStart after systemd substituted FLANNEL_ETCD, FLANNEL_ETCD_KEY and FLANNEL_OPTIONS
        String[] unit = FlanneldCommandLineTest.words(
                "flanneld -etcd-endpoints=${FLANNEL_ETCD} -etcd-prefix=${FLANNEL_ETCD_KEY} $FLANNEL_OPTIONS",
                Map.of("FLANNEL_ETCD", etcd.endpointsFlag(), "FLANNEL_ETCD_KEY", prefix,
                        "FLANNEL_OPTIONS", "-public-ip=127.0.0.131 -ip-masq=true"));
        AgentProcess a = flanneldProcess("unit", Map.of(), List.of(unit)).start().awaitReady();
        // the same flags as an environment file gives them, Go's bool words included
        AgentProcess b = flanneldProcess("env", Map.of("FLANNELD_ETCD_ENDPOINTS", etcd.endpointsFlag(),
                "FLANNELD_ETCD_PREFIX", prefix, "FLANNELD_PUBLIC_IP", "127.0.0.132", "FLANNELD_IP_MASQ", "0",
                "FLANNELD_IPTABLES_FORWARD_RULES", "F"), List.of()).start().awaitReady();

        assertThat(a.subnetEnv()).contains("FLANNEL_NETWORK=10.51.0.0/16").contains("FLANNEL_IPMASQ=true");
        assertThat(b.subnetEnv()).contains("FLANNEL_IPMASQ=false");
        assertThat(subnetKvs()).extracting(kv -> kv.getValue().toString(UTF_8))
                .anySatisfy(v -> assertThat(v).contains("\"PublicIP\":\"127.0.0.131\""))
                .anySatisfy(v -> assertThat(v).contains("\"PublicIP\":\"127.0.0.132\""));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(a.peerSubnets()).contains(b.subnet());
            assertThat(b.peerSubnets()).contains(a.subnet());
        });
    }

    @Test
    void javaoverlayAgentTakesAnInitScriptLineWithKlogVerbosityAndIfaceCanReach() throws Exception {
        // flannel's init scripts pass -ip-masq=true next to the etcd flags, Go style
        AgentProcess a = agents.agent("init", Map.of(), List.of("-etcd-endpoints", etcd.endpointsFlag(),
                "-etcd-prefix=" + prefix, "-ip-masq=true", "-public-ip", "127.0.0.133", "-v=2", "-iface-can-reach=127.0.0.1"));
        a.start().awaitReady();
        assertThat(a.subnetEnv()).contains("FLANNEL_IPMASQ=true");
        assertThat(a.log()).as("-v=2 is debug").contains(" DEBUG ");
        assertThat(a.log()).as("-iface-can-reach: the interface of the route to 127.0.0.1").contains("using interface lo ");
    }

    @Test
    void kubeFlannelsContainerArgsWithoutTheNodesNameStopAndSaySoAndLeaseNothing() throws Exception {
        // kube-flannel.yml's container args; its env (POD_NAME, POD_NAMESPACE, or NODE_NAME) left out
        AgentProcess k = flanneldProcess("kube", Map.of("NODE_NAME", "", "POD_NAME", "", "POD_NAMESPACE", ""),
                List.of("--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081")).start();
        assertThat(k.awaitExit(Duration.ofSeconds(60))).isEqualTo(2);
        assertThat(k.log()).contains("--kube-subnet-mgr (FLANNELD_KUBE_SUBNET_MGR) is refused")
                .contains("needs this node's name: set NODE_NAME, or POD_NAME and POD_NAMESPACE");
        assertThat(subnetKvs()).isEmpty();
    }

    @Test
    void flanneldPrintsItsVersion() throws Exception {
        Process p = new ProcessBuilder(flanneld().toString(), "-version").redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(p.getInputStream().readAllBytes(), UTF_8)).startsWith("javaoverlay ");
        assertThat(p.exitValue()).isZero();
    }
}
