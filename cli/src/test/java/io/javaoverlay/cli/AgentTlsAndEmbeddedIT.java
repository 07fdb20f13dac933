package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.etcd.jetcd.ByteSequence;
import io.javaoverlay.testkit.EtcdExtension;

/** The agent process against a TLS etcd with a test CA, and without etcd on the embedded store. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class AgentTlsAndEmbeddedIT {

    static final String CONFIG = "{\"Network\":\"10.60.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}";

    @RegisterExtension
    final AgentProcesses agents = new AgentProcesses("jo-agent-");

    AgentProcess agent(String name, String... args) {
        return agents.agent(name, Map.of(), List.of(args));
    }

    @Nested
    class Tls {
        @RegisterExtension
        static final EtcdExtension etcd = EtcdExtension.builder().tls(true).build();

        @Test
        void theAgentUsesTheEtcdCertificateFlags() throws Exception {
            etcd.client().getKVClient().put(ByteSequence.from("/coreos.com/network/config", java.nio.charset.StandardCharsets.UTF_8),
                    ByteSequence.from(CONFIG, java.nio.charset.StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            AgentProcess a = agent("tls", "--etcd-endpoints", etcd.endpointsFlag(),
                    "--etcd-cafile", etcd.caFile().toString(),
                    "--etcd-certfile", etcd.clientCertFile().toString(),
                    "--etcd-keyfile", etcd.clientKeyFile().toString(),
                    "--iface", "127.0.0.1").start().awaitReady();
            assertThat(a.subnetEnv()).contains("FLANNEL_NETWORK=10.60.0.0/16");
            assertThat(a.log()).contains("etcd at https://127.0.0.1:");
        }
    }

    @Nested
    class Embedded {
        @Test
        void twoAgentsShareOneLeaseDirectoryWithoutEtcd() throws Exception {
            Path leases = agents.dir().resolve("leases");
            Path netConf = agents.dir().resolve("net-conf.json");
            Files.writeString(netConf, "{\"Network\":\"10.70.0.0/24\",\"SubnetLen\":26,\"Backend\":{\"Type\":\"udp\"}}");
            String[] common = {"--lease-dir", leases.toString(), "--net-config-path", netConf.toString()};
            AgentProcess a = agent("a", concat(common, "--public-ip", "127.0.0.101")).start();
            AgentProcess b = agent("b", concat(common, "--public-ip", "127.0.0.102")).start();
            a.awaitReady();
            b.awaitReady();

            assertThat(a.subnet()).isNotEqualTo(b.subnet());
            assertThat(a.subnetEnv()).contains("FLANNEL_NETWORK=10.70.0.0/24\n");
            await().atMost(Duration.ofSeconds(10)).until(() -> a.peerSubnets().equals(List.of(b.subnet()))
                    && b.peerSubnets().equals(List.of(a.subnet())));
            // flannel's udp backend publishes no BackendType
            assertThat(a.peers().get(0).get("Lease").toString()).isEqualTo("{\"PublicIP\":\"127.0.0.102\",\"PublicIPv6\":null}");

            // a third host fits (3 /26s), a fourth is told the network is full and exits non-zero
            AgentProcess c = agent("c", concat(common, "--public-ip", "127.0.0.103")).start().awaitReady();
            AgentProcess d = agent("d", concat(common, "--public-ip", "127.0.0.104")).start();
            assertThat(d.awaitExit(Duration.ofSeconds(30))).isNotZero();
            assertThat(d.log()).contains("no free subnet: all 3 subnets from 10.70.0.64/26 to 10.70.0.192/26 are taken");
            assertThat(c.isAlive()).isTrue();
        }

        @Test
        void withNoFlagsButItsDirectoriesTheAgentRunsOnTheDefaultNetwork() throws Exception {
            AgentProcess a = agent("solo", "--lease-dir", agents.dir().resolve("leases").toString(), "--iface", "127.0.0.1").start().awaitReady();
            assertThat(a.subnetEnv()).startsWith("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.");
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
