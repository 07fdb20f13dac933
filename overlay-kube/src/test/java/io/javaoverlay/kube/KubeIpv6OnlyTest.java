package io.javaoverlay.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.lease.LeaseSnapshot;
import io.javaoverlay.core.lease.LeaseStore;
import io.javaoverlay.core.lease.LeaseWatcher;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Net;

/**
 * An IPv6-only network ({@code "EnableIPv4": false}) with the Kubernetes subnet manager, against
 * fabric8's mock API server in CRUD mode: a node with only an IPv6 podCIDR is an IPv6-only lease,
 * published and read as flannel v0.28's {@code AcquireLease} and {@code nodeToLease} do then.
 */
@Timeout(120)
class KubeIpv6OnlyTest extends MockApiServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String NET_CONF = "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\","
            + "\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"%s\"}}";

    private KubeLeaseStore store(String node, String backend) throws Exception {
        Path netConf = dir.resolve("net-conf-" + node + ".json");
        Files.writeString(netConf, NET_CONF.formatted(backend));
        KubeLeaseStore s = KubeLeaseStore.connect(new KubeOptions(Optional.of(api.url()), Optional.empty(), NodeAnnotations.of(null),
                netConf, true, Map.of("NODE_NAME", node)), metrics);
        closing.add(0, s);
        return s;
    }

    private void createV6Node(String name, String podCidr6, Map<String, String> annotations) {
        kubectl.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).withAnnotations(annotations).endMetadata()
                .withNewSpec().withPodCIDR(podCidr6).withPodCIDRs(podCidr6).endSpec().build()).create();
    }

    /** What an agent publishes for an IPv6-only network: flannel's zero PublicIP, no IPv4 backend data. */
    private static LeaseAttrs attrs(String type, String ip6, String v6Data) throws Exception {
        return new LeaseAttrs(Ip4.parse("0.0.0.0"), Optional.of(ip6), Optional.of(type), Optional.empty(),
                Optional.ofNullable(v6Data).map(d -> {
                    try {
                        return JSON.readTree(d);
                    } catch (Exception e) {
                        throw new IllegalArgumentException(e);
                    }
                }));
    }

    @Test
    void anIpv6OnlyNodesLeaseIsItsIpv6PodCidrPublishedAsFlannelsVxlanPublishesIt() throws Exception {
        createV6Node("n1", "fd00:10:244:1::/64", Map.of("other.example.com/keep", "me"));
        KubeLeaseStore s = store("n1", "vxlan");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        NetworkConfig config = sm.networkConfig();
        assertThat(config.enableIPv4()).isFalse();
        LeaseAttrs attrs = attrs("vxlan", "fd00:122::11", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}");

        Lease l = sm.acquire(config, attrs, Optional.empty(), Optional.of(Ip6Net.parse("fd00:10:244:77::/64")), List.of());

        assertThat(l.isIpv6Only()).isTrue();
        assertThat(l.ipv6Subnet()).as("the node's podCIDR, not the subnet file's").contains(Ip6Net.parse("fd00:10:244:1::/64"));
        assertThat(l.attrs()).isEqualTo(attrs);
        // flannel's vxlan with EnableIPv4 false has no IPv4 BackendData ("null"): AcquireLease writes neither backend-data nor public-ip
        Node n = kubectl.nodes().withName("n1").get();
        assertThat(n.getMetadata().getAnnotations()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "flannel.alpha.coreos.com/backend-type", "vxlan",
                "flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}",
                "flannel.alpha.coreos.com/public-ipv6", "fd00:122::11",
                "flannel.alpha.coreos.com/kube-subnet-manager", "true",
                "other.example.com/keep", "me"));
        // acquiring again patches nothing
        sm.acquire(config, attrs, Optional.empty(), Optional.empty(), List.of());
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getResourceVersion()).isEqualTo(n.getMetadata().getResourceVersion());
        // and the node reads back as this lease (flannel's nodeToLease with EnableIPv4 false)
        assertThat(s.list().leases()).containsExactly(l);
    }

    @Test
    void hostGwPublishesFlannelsNullDataAndZeroPublicIpBesideTheIpv6Half() throws Exception {
        createV6Node("n1", "fd00:10:244:1::/64", Map.of());
        KubeLeaseStore s = store("n1", "host-gw");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        Lease l = sm.acquire(sm.networkConfig(), attrs("host-gw", "fd00:122::11", null), Optional.empty(), Optional.empty(), List.of());
        assertThat(l.keyName()).isEqualTo("fd00:10:244:1::-64");
        // flannel's host-gw leaves LeaseAttrs.PublicIP at its zero value and BackendData nil; AcquireLease writes them for
        // every backend but vxlan: "0.0.0.0" and "null"
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "flannel.alpha.coreos.com/backend-type", "host-gw",
                "flannel.alpha.coreos.com/backend-data", "null",
                "flannel.alpha.coreos.com/public-ip", "0.0.0.0",
                "flannel.alpha.coreos.com/backend-v6-data", "null",
                "flannel.alpha.coreos.com/public-ipv6", "fd00:122::11",
                "flannel.alpha.coreos.com/kube-subnet-manager", "true"));
    }

    @Test
    void peersAreReadByTheirIpv6HalvesAndADeletedNodeGoes() throws Exception {
        createV6Node("n1", "fd00:10:244:1::/64", Map.of());
        Map<String, String> n2 = new HashMap<>(Map.of(
                "flannel.alpha.coreos.com/backend-type", "vxlan",
                "flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:02\"}",
                "flannel.alpha.coreos.com/public-ipv6", "fd00:122::12",
                "flannel.alpha.coreos.com/kube-subnet-manager", "true"));
        createV6Node("n2", "fd00:10:244:2::/64", n2);
        // a dual-stack node in an IPv6-only network: only its IPv6 half is read, as flannel reads it
        Map<String, String> n3 = new HashMap<>(n2);
        n3.put("flannel.alpha.coreos.com/public-ipv6", "fd00:122::13");
        n3.put("flannel.alpha.coreos.com/public-ip", "192.168.122.13");
        n3.put("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:03\"}");
        kubectl.nodes().resource(NodeLeasesTest.dualNode("n3", "10.244.3.0/24", "fd00:10:244:3::/64", n3)).create();
        // no public-ipv6: skipped and counted, as flannel's nodeToLease fails on it
        Map<String, String> n4 = new HashMap<>(n2);
        n4.remove("flannel.alpha.coreos.com/public-ipv6");
        createV6Node("n4", "fd00:10:244:4::/64", n4);

        KubeLeaseStore s = store("n1", "vxlan");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        Lease own = sm.acquire(sm.networkConfig(), attrs("vxlan", "fd00:122::11", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:01\"}"),
                Optional.empty(), Optional.empty(), List.of());

        LeaseSnapshot snap = s.list();
        assertThat(snap.leases()).extracting(Lease::keyName).containsExactlyInAnyOrder("fd00:10:244:1::-64", "fd00:10:244:2::-64",
                "fd00:10:244:3::-64");
        assertThat(snap.leases()).allSatisfy(l -> assertThat(l.ipv4Subnet()).isEmpty());
        Lease three = snap.leases().stream().filter(l -> l.keyName().equals("fd00:10:244:3::-64")).findFirst().orElseThrow();
        assertThat(three.attrs().publicIpv6()).contains("fd00:122::13");
        assertThat(three.attrs().backendData()).as("its IPv4 data is not read").isEmpty();
        assertThat(new String(io.javaoverlay.core.metrics.MetricsExposition.scrape(metrics), java.nio.charset.StandardCharsets.UTF_8))
                .contains("reason=\"no-public-ipv6\"");

        // the watch, through the watcher the agent uses: peers by their IPv6 subnets; a deleted node goes
        LeaseWatcher watcher = new LeaseWatcher(own.id());
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        watcher.reset(snap.leases()).forEach(e -> seen.add(e.getClass().getSimpleName() + " " + e.lease().keyName()));
        AutoCloseable w = s.watch(snap, new LeaseStore.Listener() {
            @Override
            public synchronized void onEvents(List<LeaseStore.KeyEvent> events) {
                watcher.update(events).forEach(e -> seen.add(e.getClass().getSimpleName() + " " + e.lease().keyName()));
            }

            @Override
            public synchronized void onResync(LeaseSnapshot snapshot) {
                watcher.reset(snapshot.leases()).forEach(e -> seen.add(e.getClass().getSimpleName() + " " + e.lease().keyName()));
            }
        });
        closing.add(0, w);
        assertThat(seen).containsExactlyInAnyOrder("Added fd00:10:244:2::-64", "Added fd00:10:244:3::-64");
        Map<String, String> n5 = new HashMap<>(n2);
        n5.put("flannel.alpha.coreos.com/public-ipv6", "fd00:122::15");
        createV6Node("n5", "fd00:10:244:5::/64", n5);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(seen).contains("Added fd00:10:244:5::-64"));
        kubectl.nodes().withName("n2").delete();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(seen).contains("Removed fd00:10:244:2::-64"));
        assertThat(watcher.peers()).containsOnlyKeys(LeaseId.ofIpv6Only(Ip6Net.parse("fd00:10:244:3::/64")),
                LeaseId.ofIpv6Only(Ip6Net.parse("fd00:10:244:5::/64")));
    }

    @Test
    void aNodeWithoutAnIpv6PodCidrIsAConfigErrorInAnIpv6OnlyNetwork() throws Exception {
        kubectl.nodes().resource(NodeLeasesTest.node("v4", "10.244.1.0/24", Map.of())).create();
        SubnetManager sm = new SubnetManager(store("v4", "vxlan"), SubnetManager.DEFAULT_TTL);
        assertThatThrownBy(() -> sm.acquire(sm.networkConfig(), attrs("vxlan", "fd00:122::11", null), Optional.empty(), Optional.empty(),
                List.of())).isInstanceOf(NetworkConfigException.class).hasMessageContaining("assigns this host no IPv6 subnet");
        assertThat(kubectl.nodes().withName("v4").get().getMetadata().getAnnotations()).isNullOrEmpty();
    }

    @Test
    void theAgentsGuardReadsItsIpv6OnlyLeaseByItsIpv6PodCidrAndFindsItGoneWhenTheAnnotationsAre() throws Exception {
        createV6Node("n1", "fd00:10:244:1::/64", Map.of());
        KubeLeaseStore s = store("n1", "vxlan");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        LeaseAttrs attrs = attrs("vxlan", "fd00:122::11", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}");
        Lease l = sm.acquire(sm.networkConfig(), attrs, Optional.empty(), Optional.empty(), List.of());

        assertThat(s.read(l.id()).lease()).contains(l);
        assertThat(s.read(io.javaoverlay.core.lease.LeaseId.ofIpv6Only(Ip6Net.parse("fd00:10:244:9::/64"))).lease()).isEmpty();

        // someone strips the node's annotations: the lease is gone, and putting it back writes them again
        kubectl.nodes().withName("n1").edit(n -> new NodeBuilder(n).editMetadata().withAnnotations(Map.of()).endMetadata().build());
        assertThat(s.read(l.id()).lease()).isEmpty();
        Lease back = s.createIpv6Only(l.ipv6Subnet().get(), attrs, SubnetManager.DEFAULT_TTL);
        assertThat(back).isEqualTo(l);
        assertThat(s.read(l.id()).lease()).contains(l);
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations())
                .containsEntry("flannel.alpha.coreos.com/public-ipv6", "fd00:122::11");
    }

    @Test
    void wireguardPublishesItsIpv6KeyAndPublicIpv6AsFlannelsAcquireLeaseDoes() throws Exception {
        createV6Node("n1", "fd00:10:244:1::/64", Map.of());
        KubeLeaseStore s = store("n1", "wireguard");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        String data6 = "{\"PublicKey\":\"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\",\"Port\":51821}";
        Lease l = sm.acquire(sm.networkConfig(), attrs("wireguard", "fd00:122::11", data6), Optional.empty(), Optional.empty(), List.of());
        assertThat(l.isIpv6Only()).isTrue();
        // AcquireLease (pkg/subnet/kube, v0.28): every backend but vxlan writes backend-data and public-ip (here "null" and
        // "0.0.0.0"); wireguard writes backend-v6-data and public-ipv6 when it has IPv6 data and a PublicIPv6
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "flannel.alpha.coreos.com/backend-type", "wireguard",
                "flannel.alpha.coreos.com/backend-data", "null",
                "flannel.alpha.coreos.com/public-ip", "0.0.0.0",
                "flannel.alpha.coreos.com/backend-v6-data", data6,
                "flannel.alpha.coreos.com/public-ipv6", "fd00:122::11",
                "flannel.alpha.coreos.com/kube-subnet-manager", "true"));
        assertThat(s.list().leases()).containsExactly(l);
    }
}
