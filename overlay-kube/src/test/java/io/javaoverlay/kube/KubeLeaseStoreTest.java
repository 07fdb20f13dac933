package io.javaoverlay.kube;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseException;
import io.javaoverlay.core.lease.LeaseSnapshot;
import io.javaoverlay.core.lease.SubnetManager;
import io.javaoverlay.core.metrics.MetricsExposition;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.backend.AdmissionOnlyBackend;
import io.javaoverlay.core.backend.HostView;
import io.javaoverlay.core.backend.PeerAdmission;

/**
 * The Kubernetes subnet manager against an API server: fabric8's mock server in CRUD mode (a
 * real HTTP server with lists, watches and patches; no Kubernetes API server runs here).
 */
@Timeout(120)
class KubeLeaseStoreTest extends MockApiServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final NetworkConfig CONFIG = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");

    private KubeLeaseStore store(String node) throws Exception {
        Path netConf = dir.resolve("net-conf.json");
        Files.writeString(netConf, "{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
        KubeLeaseStore s = KubeLeaseStore.connect(new KubeOptions(Optional.of(api.url()), Optional.empty(), NodeAnnotations.of(null),
                netConf, true, Map.of("NODE_NAME", node)), metrics);
        closing.add(0, s);
        return s;
    }

    private Node createNode(String name, String podCidr, Map<String, String> annotations) {
        return kubectl.nodes().resource(NodeLeasesTest.node(name, podCidr, annotations)).create();
    }

    private static LeaseAttrs vxlan(String ip, String mac) throws Exception {
        return LeaseAttrs.of(Ip4.parse(ip), Optional.of("vxlan"), Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}")));
    }

    private static Map<String, String> flannelVxlan(String ip, String mac) {
        Map<String, String> a = new HashMap<>(NodeLeasesTest.FLANNEL_VXLAN);
        a.put("flannel.alpha.coreos.com/public-ip", ip);
        a.put("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"}");
        return a;
    }

    @Test
    void theLeaseIsTheNodesPodCidrAndItsAttributesAreTheNodesAnnotations() throws Exception {
        createNode("n1", "10.244.3.0/24", Map.of("other.example.com/keep", "me"));
        SubnetManager sm = new SubnetManager(store("n1"), SubnetManager.DEFAULT_TTL);
        assertThat(sm.networkConfig()).isEqualTo(CONFIG);

        Lease l = sm.acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"), Optional.of(Ip4Net.parse("10.244.99.0/24")));

        assertThat(l.subnet()).as("the podCIDR, not the subnet file's").isEqualTo(Ip4Net.parse("10.244.3.0/24"));
        Node n = kubectl.nodes().withName("n1").get();
        Map<String, String> expected = new HashMap<>(NodeLeasesTest.FLANNEL_VXLAN);
        expected.put("other.example.com/keep", "me");
        assertThat(n.getMetadata().getAnnotations()).containsExactlyInAnyOrderEntriesOf(expected);
        String version = n.getMetadata().getResourceVersion();
        // acquiring again with the same attributes patches nothing (flannel compares first too)
        sm.acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"), Optional.empty());
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getResourceVersion()).isEqualTo(version);
        assertThat(sm.store().read(l.subnet()).lease()).contains(l);
    }

    @Test
    void aNodeWithoutAPodCidrWaitsWithAMessageThatSaysWhy() throws Exception {
        createNode("n1", null, Map.of());
        KubeLeaseStore s = store("n1");
        assertThatThrownBy(s::assignedSubnet).isInstanceOf(LeaseException.StoreUnavailableException.class)
                .hasMessageContaining("node n1 has no IPv4 podCIDR yet").hasMessageContaining("--allocate-node-cidrs");
        assertThatThrownBy(() -> store("absent").assignedSubnet()).isInstanceOf(LeaseException.StoreUnavailableException.class)
                .hasMessageContaining("node absent does not exist");
    }

    @Test
    void withoutNodeNameTheNodeIsThatOfThePodNamedByPodNameAndPodNamespace() throws Exception {
        createNode("worker-7", "10.244.7.0/24", Map.of());
        kubectl.pods().inNamespace("kube-javaoverlay").resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName("javaoverlay-x1").withNamespace("kube-javaoverlay").endMetadata()
                .withNewSpec().withNodeName("worker-7").endSpec().build()).create();
        KubeLeaseStore s = KubeLeaseStore.connect(new KubeOptions(Optional.of(api.url()), Optional.empty(), NodeAnnotations.of(null),
                dir.resolve("net-conf.json"), true, Map.of("POD_NAME", "javaoverlay-x1", "POD_NAMESPACE", "kube-javaoverlay")), metrics);
        closing.add(0, s);
        assertThat(s.nodeName()).isEqualTo("worker-7");
        assertThat(s.assignedSubnet()).contains(Ip4Net.parse("10.244.7.0/24"));
        KubeLeaseStore missing = KubeLeaseStore.connect(new KubeOptions(Optional.of(api.url()), Optional.empty(), NodeAnnotations.of(null),
                dir.resolve("net-conf.json"), true, Map.of("POD_NAME", "gone", "POD_NAMESPACE", "kube-javaoverlay")), metrics);
        closing.add(0, missing);
        assertThatThrownBy(missing::nodeName).isInstanceOf(LeaseException.StoreUnavailableException.class)
                .hasMessageContaining("pod kube-javaoverlay/gone (POD_NAMESPACE/POD_NAME) does not exist");
    }

    @Test
    void aPodCidrOutsideTheNetworkOrOfAnotherSizeIsAConfigError() throws Exception {
        createNode("n1", "10.9.0.0/24", Map.of());
        createNode("n2", "10.244.4.0/25", Map.of());
        assertThatThrownBy(() -> new SubnetManager(store("n1"), SubnetManager.DEFAULT_TTL).acquire(CONFIG,
                vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"), Optional.empty()))
                .isInstanceOf(NetworkConfigException.class).hasMessageContaining("outside Network 10.244.0.0/16");
        assertThatThrownBy(() -> new SubnetManager(store("n2"), SubnetManager.DEFAULT_TTL).acquire(CONFIG,
                vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"), Optional.empty()))
                .isInstanceOf(NetworkConfigException.class).hasMessageContaining("\"SubnetLen\": 25");
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations()).isNullOrEmpty();
    }

    @Test
    void publicIpOverwriteIsWhatThisHostPublishes() throws Exception {
        createNode("n1", "10.244.3.0/24", Map.of("flannel.alpha.coreos.com/public-ip-overwrite", "203.0.113.7"));
        KubeLeaseStore s = store("n1");
        assertThat(s.publicIpOverwrite()).contains(Ip4.parse("203.0.113.7"));
        Lease l = new SubnetManager(s, SubnetManager.DEFAULT_TTL).acquire(CONFIG, vxlan("203.0.113.7", "8e:c6:26:1c:3f:95"), Optional.empty());
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations())
                .containsEntry("flannel.alpha.coreos.com/public-ip", "203.0.113.7");
        assertThat(l.attrs().publicIp()).isEqualTo(Ip4.parse("203.0.113.7"));
    }

    @Test
    void readyClearsTheNodesNetworkUnavailableConditionAsFlannelDoesAndKeepsTheOthers() throws Exception {
        createNode("n1", "10.244.3.0/24", Map.of());
        // as a cloud provider leaves a new node: NetworkUnavailable True; the kubelet's Ready beside it
        kubectl.nodes().withName("n1").editStatus(n -> {
            n.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                    .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
                    .addNewCondition().withType("NetworkUnavailable").withStatus("True").withReason("NoRouteCreated").endCondition()
                    .build());
            return n;
        });
        KubeLeaseStore s = store("n1");
        Lease l = new SubnetManager(s, SubnetManager.DEFAULT_TTL).acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"), Optional.empty());
        s.hostReady(l);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            Node n = kubectl.nodes().withName("n1").get();
            assertThat(n.getStatus()).isNotNull();
            NodeCondition c = n.getStatus().getConditions().stream().filter(x -> x.getType().equals("NetworkUnavailable")).findFirst()
                    .orElseThrow();
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("FlannelIsUp");
            assertThat(c.getMessage()).isEqualTo("Flannel is running on this node");
            assertThat(n.getStatus().getConditions()).extracting(NodeCondition::getType).containsExactly("Ready", "NetworkUnavailable");
        });
    }

    @Test
    void malformedNodesAreSkippedCountedAndTheOthersStillListed() throws Exception {
        createNode("n1", "10.244.1.0/24", Map.of());
        createNode("good", "10.244.2.0/24", flannelVxlan("192.168.122.12", "8e:c6:26:1c:3f:02"));
        Map<String, String> bad = flannelVxlan("192.168.122.13", "8e:c6:26:1c:3f:03");
        bad.put("flannel.alpha.coreos.com/public-ip", "999.1.1.1");
        createNode("bad", "10.244.3.0/24", bad);
        LeaseSnapshot snap = store("n1").list();
        assertThat(snap.leases()).extracting(Lease::subnet).containsExactly(Ip4Net.parse("10.244.2.0/24"));
        assertThat(metric("javaoverlay_kube_nodes_skipped_total{reason=\"bad-public-ip\"}")).isEqualTo(1);
    }

    @Test
    void peersFollowNodesAddedChangedMovedAndDeleted() throws Exception {
        createNode("n1", "10.244.1.0/24", Map.of());
        createNode("n2", "10.244.2.0/24", flannelVxlan("192.168.122.12", "8e:c6:26:1c:3f:02"));
        KubeLeaseStore s = store("n1");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        Lease own = sm.acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:01"), Optional.empty());
        Peers peers = watch(sm, own.subnet(), sm.leases());
        assertThat(peers.now()).containsOnlyKeys(Ip4Net.parse("10.244.2.0/24"));

        createNode("n3", "10.244.3.0/24", flannelVxlan("192.168.122.13", "8e:c6:26:1c:3f:03"));
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.2.0/24"), Ip4Net.parse("10.244.3.0/24")));

        // a new VtepMAC: the peer changes
        kubectl.nodes().withName("n3").edit(n -> {
            n.getMetadata().getAnnotations().put("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:33\"}");
            return n;
        });
        peers.until(m -> assertThat(m.get(Ip4Net.parse("10.244.3.0/24")).attrs().backendData().orElseThrow().get("VtepMAC").asText())
                .isEqualTo("8e:c6:26:1c:3f:33"));

        // n2 deleted and created again with another podCIDR: the old subnet goes, the new one comes
        kubectl.nodes().withName("n2").delete();
        createNode("n2", "10.244.22.0/24", flannelVxlan("192.168.122.12", "8e:c6:26:1c:3f:02"));
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.22.0/24"), Ip4Net.parse("10.244.3.0/24")));
        assertThat(peers.removed()).extracting(l -> l.subnet().toString()).contains("10.244.2.0/24");

        // annotations turned malformed: the node's routes go, as for a deleted node
        kubectl.nodes().withName("n3").edit(n -> {
            n.getMetadata().getAnnotations().put("flannel.alpha.coreos.com/public-ip", "nonsense");
            return n;
        });
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.22.0/24")));

        kubectl.nodes().withName("n2").delete();
        peers.until(m -> assertThat(m).isEmpty());
        assertThat(peers.ownRemoved).as("this host's own node never looks removed").isEmpty();
    }

    @Test
    void theAgentsChecksOfItsOwnNodeAreAnsweredFromTheWatchWhileItIsConnected() throws Exception {
        createNode("n1", "10.244.1.0/24", Map.of());
        KubeLeaseStore s = store("n1");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        Lease own = sm.acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:01"), Optional.empty());
        Peers peers = watch(sm, own.subnet(), sm.leases());
        await().atMost(Duration.ofSeconds(20)).until(() -> s.read(own.subnet()).lease().isPresent() && requestsStill(() -> s.read(own.subnet())));
        int before = api.requests();
        for (int i = 0; i < 10; i++) {
            assertThat(s.read(own.subnet()).lease()).contains(own);
        }
        assertThat(api.requests()).as("no request per check").isEqualTo(before);
        // what changes on the API server is what the next check sees
        kubectl.nodes().withName("n1").edit(n -> {
            n.getMetadata().getAnnotations().remove("flannel.alpha.coreos.com/public-ip");
            return n;
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> s.read(own.subnet()).lease().isEmpty());
        await().atMost(Duration.ofSeconds(20)).until(() -> !peers.ownRemoved.isEmpty());
    }

    /** Whether {@code read} is answered without a request to the API server. */
    private boolean requestsStill(Runnable read) {
        int before = api.requests();
        read.run();
        return api.requests() == before;
    }

    @Test
    void anApiServerDownAtStartIsWaitedForAndWatchedOnceItIsUp() throws Exception {
        api.close();
        api = MockApiServer.notStarted();
        kubectl.close();
        kubectl = api.client();
        KubeLeaseStore s = store("n1");
        assertThatThrownBy(s::list).isInstanceOf(LeaseException.StoreUnavailableException.class).hasMessageContaining(api.url());
        assertThatThrownBy(s::assignedSubnet).isInstanceOf(LeaseException.StoreUnavailableException.class);
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        Peers peers = watchFromNow(sm, Ip4Net.parse("10.244.1.0/24"), new LeaseSnapshot(List.of(), 0));

        Thread.sleep(1500); // the informer has failed at least once by now
        int served = api.watchesServed();
        api.up();
        await().atMost(Duration.ofSeconds(60)).until(() -> api.watchesServed() > served);
        createNode("n1", "10.244.1.0/24", Map.of());
        createNode("n2", "10.244.2.0/24", flannelVxlan("192.168.122.12", "8e:c6:26:1c:3f:02"));
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.2.0/24")));
        assertThat(s.assignedSubnet()).contains(Ip4Net.parse("10.244.1.0/24"));
    }

    @Test
    void anApiServerRestartAndExpiredResourceVersionsRelistAndReportTheDifference() throws Exception {
        createNode("n1", "10.244.1.0/24", Map.of());
        createNode("n2", "10.244.2.0/24", flannelVxlan("192.168.122.12", "8e:c6:26:1c:3f:02"));
        createNode("n3", "10.244.3.0/24", flannelVxlan("192.168.122.13", "8e:c6:26:1c:3f:03"));
        SubnetManager sm = new SubnetManager(store("n1"), SubnetManager.DEFAULT_TTL);
        Peers peers = watch(sm, Ip4Net.parse("10.244.1.0/24"), sm.leases());
        peers.until(m -> assertThat(m).hasSize(2));

        // the API server restarts, and the watch's resource version is gone when it comes back (410):
        // the informer cannot resume, so it lists again; what changed meanwhile reaches the agent
        api.watchesGone(true);
        api.down();
        api.up();
        kubectl.nodes().withName("n2").delete();
        createNode("n4", "10.244.4.0/24", flannelVxlan("192.168.122.14", "8e:c6:26:1c:3f:04"));
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.3.0/24"), Ip4Net.parse("10.244.4.0/24")));
        assertThat(peers.removed()).extracting(l -> l.subnet().toString()).containsExactly("10.244.2.0/24");

        // once watches work again, changes stream as before
        int served = api.watchesServed();
        api.watchesGone(false);
        await().atMost(Duration.ofSeconds(60)).until(() -> api.watchesServed() > served);
        kubectl.nodes().withName("n3").delete();
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.4.0/24")));
    }

    // --- dual stack (#16): the lease's IPv6 half is the node's IPv6 podCIDR ---

    private static final NetworkConfig DUAL = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,"
            + "\"IPv6Network\":\"fd00:10:244::/56\",\"IPv6SubnetLen\":64,\"Backend\":{\"Type\":\"vxlan\"}}");

    private static LeaseAttrs vxlanDual(String ip, String mac, String ip6, String mac6) throws Exception {
        return vxlan(ip, mac).withIpv6(ip6, Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}")));
    }

    private static Map<String, String> flannelVxlanDual(String ip, String mac, String ip6, String mac6) {
        Map<String, String> a = flannelVxlan(ip, mac);
        a.put("flannel.alpha.coreos.com/public-ipv6", ip6);
        a.put("flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}");
        return a;
    }

    private Node createDualNode(String name, String podCidr4, String podCidr6, Map<String, String> annotations) {
        return kubectl.nodes().resource(NodeLeasesTest.dualNode(name, podCidr4, podCidr6, annotations)).create();
    }

    @Test
    void aDualStackLeaseIsTheNodesTwoPodCidrsAndItsIpv6HalfIsPublishedAsFlannelPublishesIt() throws Exception {
        createDualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", Map.of("other.example.com/keep", "me"));
        KubeLeaseStore s = store("n1");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        LeaseAttrs attrs = vxlanDual("192.168.122.11", "8e:c6:26:1c:3f:95", "fd00:122::11", "3a:41:9d:0e:22:b7");

        Lease l = sm.acquire(DUAL, attrs, Optional.empty(), Optional.of(Ip6Net.parse("fd00:10:244:77::/64")), List.of());

        assertThat(l.keyName()).as("the podCIDRs, not the subnet file's").isEqualTo("10.244.1.0-24&fd00:10:244:1::-64");
        assertThat(l.attrs()).isEqualTo(attrs);
        Map<String, String> expected = new HashMap<>(NodeLeasesTest.FLANNEL_VXLAN_DUAL);
        expected.put("other.example.com/keep", "me");
        Node n = kubectl.nodes().withName("n1").get();
        assertThat(n.getMetadata().getAnnotations()).containsExactlyInAnyOrderEntriesOf(expected);
        // the agent's check of its own key sees its own lease; acquiring again patches nothing
        assertThat(s.read(l.subnet()).lease()).contains(l);
        sm.acquire(DUAL, attrs, Optional.empty(), Optional.empty(), List.of());
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getResourceVersion()).isEqualTo(n.getMetadata().getResourceVersion());
        // the IPv6 annotations removed by hand: the key is still the node's (no delete), its attributes differ: written back
        kubectl.nodes().withName("n1").edit(x -> {
            x.getMetadata().getAnnotations().remove("flannel.alpha.coreos.com/public-ipv6");
            return x;
        });
        Lease there = s.read(l.subnet()).lease().orElseThrow();
        assertThat(there.ipv6Subnet()).isEqualTo(l.ipv6Subnet());
        assertThat(there.attrs()).isNotEqualTo(attrs);
        s.update(there, attrs, SubnetManager.DEFAULT_TTL);
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations())
                .containsEntry("flannel.alpha.coreos.com/public-ipv6", "fd00:122::11");
        assertThat(s.read(l.subnet()).lease()).contains(l);
    }

    @Test
    void anIpv6PodCidrOutsideIpv6NetworkOfAnotherSizeOrMissingIsAConfigErrorNamingBoth() throws Exception {
        createDualNode("out", "10.244.1.0/24", "fd00:99::/64", Map.of());
        createDualNode("size", "10.244.2.0/24", "fd00:10:244:2::/80", Map.of());
        createNode("none", "10.244.3.0/24", Map.of());
        LeaseAttrs attrs = vxlanDual("192.168.122.11", "8e:c6:26:1c:3f:95", "fd00:122::11", "3a:41:9d:0e:22:b7");
        assertThatThrownBy(() -> new SubnetManager(store("out"), SubnetManager.DEFAULT_TTL).acquire(DUAL, attrs, Optional.empty(),
                Optional.empty(), List.of())).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("IPv6 subnet fd00:99::/64").hasMessageContaining("outside IPv6Network fd00:10:244::/56");
        assertThatThrownBy(() -> new SubnetManager(store("size"), SubnetManager.DEFAULT_TTL).acquire(DUAL, attrs, Optional.empty(),
                Optional.empty(), List.of())).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("fd00:10:244:2::/80").hasMessageContaining("IPv6SubnetLen is 64")
                .hasMessageContaining("\"IPv6SubnetLen\": 80");
        assertThatThrownBy(() -> new SubnetManager(store("none"), SubnetManager.DEFAULT_TTL).acquire(DUAL, attrs, Optional.empty(),
                Optional.empty(), List.of())).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("no IPv6 subnet").hasMessageContaining("spec.podCIDRs has no IPv6 entry");
        for (String name : List.of("out", "size", "none")) {
            assertThat(kubectl.nodes().withName(name).get().getMetadata().getAnnotations()).as(name + ": nothing published").isNullOrEmpty();
        }
        // an IPv4-only agent on a dual-stack node publishes and leases IPv4 only, as before
        Lease v4 = new SubnetManager(store("out"), SubnetManager.DEFAULT_TTL).acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"),
                Optional.empty());
        assertThat(v4.keyName()).isEqualTo("10.244.1.0-24");
        assertThat(kubectl.nodes().withName("out").get().getMetadata().getAnnotations()).containsExactlyInAnyOrderEntriesOf(
                NodeLeasesTest.FLANNEL_VXLAN);
    }

    @Test
    void anAgentWithIpv6TurnedOffTakesItsNodesIpv6AnnotationsAway() throws Exception {
        createDualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", NodeLeasesTest.FLANNEL_VXLAN_DUAL); // from a dual-stack run
        KubeLeaseStore s = store("n1");
        Lease l = new SubnetManager(s, SubnetManager.DEFAULT_TTL).acquire(CONFIG, vxlan("192.168.122.11", "8e:c6:26:1c:3f:95"),
                Optional.empty());
        assertThat(l.keyName()).isEqualTo("10.244.1.0-24");
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations())
                .as("dual-stack peers must not route its IPv6 podCIDR to it any more")
                .containsExactlyInAnyOrderEntriesOf(NodeLeasesTest.FLANNEL_VXLAN);
        assertThat(s.read(l.subnet()).lease()).contains(l);
        // put back by hand: the agent's next check sees other attributes than its own, and its update takes them away again
        kubectl.nodes().withName("n1").edit(n -> {
            n.getMetadata().getAnnotations().put("flannel.alpha.coreos.com/public-ipv6", "fd00:122::11");
            return n;
        });
        Lease there = s.read(l.subnet()).lease().orElseThrow();
        assertThat(there.attrs()).isNotEqualTo(l.attrs());
        assertThat(there.ipv6Subnet()).as("the key stays this host's IPv4-only one").isEmpty();
        s.update(there, l.attrs(), SubnetManager.DEFAULT_TTL);
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations()).doesNotContainKey("flannel.alpha.coreos.com/public-ipv6");
        assertThat(s.read(l.subnet()).lease()).contains(l);
    }

    @Test
    void anIpv6OnlyNodeInANetworkWithIpv4IsRefusedSayingHowToRunIt() throws Exception {
        kubectl.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata().withName("v6").endMetadata()
                .withNewSpec().withPodCIDR("fd00:10:244:9::/64").withPodCIDRs("fd00:10:244:9::/64").endSpec().build()).create();
        assertThatThrownBy(() -> store("v6").assignedSubnet()).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("node v6 has only an IPv6 podCIDR").hasMessageContaining("an IPv6-only cluster runs with \"EnableIPv4\": false");
        assertThat(kubectl.nodes().withName("v6").get().getMetadata().getAnnotations()).isNullOrEmpty();
    }

    @Test
    void publicIpv6OverwriteIsWhatThisHostPublishesAndItsNodeStillReadsAsItsOwnLease() throws Exception {
        createDualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", Map.of("flannel.alpha.coreos.com/public-ipv6-overwrite", "2001:db8::7"));
        KubeLeaseStore s = store("n1");
        assertThat(s.publicIpv6Overwrite()).contains("2001:db8::7");
        LeaseAttrs attrs = vxlanDual("192.168.122.11", "8e:c6:26:1c:3f:95", "fd00:122::11", "3a:41:9d:0e:22:b7");
        Lease l = new SubnetManager(s, SubnetManager.DEFAULT_TTL).acquire(DUAL, attrs, Optional.empty(), Optional.empty(), List.of());
        assertThat(kubectl.nodes().withName("n1").get().getMetadata().getAnnotations())
                .containsEntry("flannel.alpha.coreos.com/public-ipv6", "2001:db8::7");
        assertThat(l.attrs().publicIpv6()).contains("2001:db8::7");
        assertThat(s.read(l.subnet()).lease()).as("what the agent publishes, so its guard rewrites nothing")
                .hasValueSatisfying(x -> assertThat(x.attrs()).isEqualTo(attrs));
    }

    @Test
    void peersIpv6HalvesComeFromTheirAnnotationsThroughTheSameAdmissionAsEtcdLeases() throws Exception {
        createDualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", Map.of());
        createDualNode("n2", "10.244.2.0/24", "fd00:10:244:2::/64",
                flannelVxlanDual("192.168.122.12", "8e:c6:26:1c:3f:02", "fd00:122::12", "3a:41:9d:0e:22:02"));
        createDualNode("v4only", "10.244.4.0/24", "fd00:10:244:4::/64", flannelVxlan("192.168.122.14", "8e:c6:26:1c:3f:04"));
        KubeLeaseStore s = store("n1");
        SubnetManager sm = new SubnetManager(s, SubnetManager.DEFAULT_TTL);
        Lease own = sm.acquire(DUAL, vxlanDual("192.168.122.11", "8e:c6:26:1c:3f:01", "fd00:122::11", "3a:41:9d:0e:22:01"),
                Optional.empty(), Optional.empty(), List.of());
        Peers peers = watch(sm, own.subnet(), sm.leases());
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.2.0/24"), Ip4Net.parse("10.244.4.0/24")));
        Lease n2 = peers.now().get(Ip4Net.parse("10.244.2.0/24"));
        assertThat(n2.keyName()).isEqualTo("10.244.2.0-24&fd00:10:244:2::-64");
        assertThat(n2.attrs().toJson()).isEqualTo("{\"PublicIP\":\"192.168.122.12\",\"PublicIPv6\":\"fd00:122::12\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:02\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:02\"}}");
        assertThat(peers.now().get(Ip4Net.parse("10.244.4.0/24")).keyName()).as("publishes no IPv6: an IPv4-only peer").isEqualTo("10.244.4.0-24");

        // a node whose IPv6 podCIDR is outside IPv6Network, one with a /80, one claiming this host's IPv6 address:
        // read as leases, and rejected whole by the admission every etcd lease passes
        createDualNode("out", "10.244.5.0/24", "fd00:99:0:5::/64",
                flannelVxlanDual("192.168.122.15", "8e:c6:26:1c:3f:05", "fd00:122::15", "3a:41:9d:0e:22:05"));
        createDualNode("size", "10.244.6.0/24", "fd00:10:244:6::/80",
                flannelVxlanDual("192.168.122.16", "8e:c6:26:1c:3f:06", "fd00:122::16", "3a:41:9d:0e:22:06"));
        createDualNode("mine", "10.244.7.0/24", "fd00:10:244:7::/64",
                flannelVxlanDual("192.168.122.17", "8e:c6:26:1c:3f:07", "fd00:122::11", "3a:41:9d:0e:22:07"));
        peers.until(m -> assertThat(m).hasSize(5));
        PeerAdmission admission = new PeerAdmission(DUAL, own.subnet(), own.attrs().publicIp(), own.ipv6Subnet(), own.attrs().publicIpv6(),
                new AdmissionOnlyBackend(), true, metrics); // takes the vxlan peers: its data path is not the subject here
        List<LeaseEvent> admitted = admission.admit(peers.now().values().stream().<LeaseEvent>map(LeaseEvent.Added::new).toList(),
                HostView.none());
        assertThat(admitted).extracting(e -> e.lease().subnet().toString()).containsExactlyInAnyOrder("10.244.2.0/24", "10.244.4.0/24");
        assertThat(admission.rejected()).extracting(r -> r.why().reason().label() + " " + r.why().detail()).containsExactlyInAnyOrder(
                "outside-network IPv6 subnet fd00:99:0:5::/64 is outside IPv6Network fd00:10:244::/56",
                "wrong-prefix-length IPv6 subnet fd00:10:244:6::/80 is not a /64 (the network's IPv6SubnetLen)",
                "own-public-ip PublicIPv6 fd00:122::11 is this host's own address");
    }

    @Test
    void aMalformedIpv6AnnotationSkipsTheNodeCountsItAndItsRoutesGo() throws Exception {
        createDualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", Map.of());
        createDualNode("n2", "10.244.2.0/24", "fd00:10:244:2::/64",
                flannelVxlanDual("192.168.122.12", "8e:c6:26:1c:3f:02", "fd00:122::12", "3a:41:9d:0e:22:02"));
        SubnetManager sm = new SubnetManager(store("n1"), SubnetManager.DEFAULT_TTL);
        Lease own = sm.acquire(DUAL, vxlanDual("192.168.122.11", "8e:c6:26:1c:3f:01", "fd00:122::11", "3a:41:9d:0e:22:01"),
                Optional.empty(), Optional.empty(), List.of());
        Peers peers = watch(sm, own.subnet(), sm.leases());
        peers.until(m -> assertThat(m).containsOnlyKeys(Ip4Net.parse("10.244.2.0/24")));
        kubectl.nodes().withName("n2").edit(n -> {
            n.getMetadata().getAnnotations().put("flannel.alpha.coreos.com/public-ipv6", "fd00:122::zz");
            return n;
        });
        peers.until(m -> assertThat(m).isEmpty());
        assertThat(peers.removed()).extracting(Lease::keyName).containsExactly("10.244.2.0-24&fd00:10:244:2::-64");
        assertThat(metric("javaoverlay_kube_nodes_skipped_total{reason=\"bad-public-ipv6\"}")).isEqualTo(1);
        // fixed: back as a dual-stack peer
        kubectl.nodes().withName("n2").edit(n -> {
            n.getMetadata().getAnnotations().put("flannel.alpha.coreos.com/public-ipv6", "fd00:122::12");
            return n;
        });
        peers.until(m -> assertThat(m.get(Ip4Net.parse("10.244.2.0/24"))).isNotNull()
                .satisfies(l -> assertThat(l.ipv6Subnet()).contains(Ip6Net.parse("fd00:10:244:2::/64"))));
    }

    /**
     * The peers a watch reports, kept as the agent keeps them; returns once the watch's request was
     * answered (the mock server replays no history: see {@link MockApiServer#watchesServed}).
     */
    private Peers watch(SubnetManager sm, Ip4Net own, LeaseSnapshot start) {
        int served = api.watchesServed();
        Peers p = watchFromNow(sm, own, start);
        await().atMost(Duration.ofSeconds(30)).until(() -> api.watchesServed() > served);
        return p;
    }

    private Peers watchFromNow(SubnetManager sm, Ip4Net own, LeaseSnapshot start) {
        Peers p = new Peers();
        closing.add(0, sm.watchPeers(own, start, p));
        return p;
    }

    static final class Peers implements SubnetManager.WatchListener {
        private final Map<Ip4Net, Lease> now = new HashMap<>();
        private final List<Lease> removed = new ArrayList<>();
        final List<Ip4Net> ownRemoved = new CopyOnWriteArrayList<>();
        final List<Boolean> watchStates = new CopyOnWriteArrayList<>();

        @Override
        public synchronized void onPeerEvents(List<LeaseEvent> batch) {
            for (LeaseEvent e : batch) {
                if (e instanceof LeaseEvent.Removed r) {
                    now.remove(r.lease().subnet());
                    removed.add(r.lease());
                } else {
                    now.put(e.lease().subnet(), e.lease());
                }
            }
        }

        @Override
        public void onOwnLeaseRemoved(Ip4Net own) {
            ownRemoved.add(own);
        }

        @Override
        public void onWatchState(boolean connected, String detail) {
            watchStates.add(connected);
        }

        synchronized Map<Ip4Net, Lease> now() {
            return Map.copyOf(now);
        }

        synchronized List<Lease> removed() {
            return List.copyOf(removed);
        }

        void until(java.util.function.Consumer<Map<Ip4Net, Lease>> check) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> check.accept(now()));
        }
    }

    private double metric(String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(new String(MetricsExposition.scrape(metrics), UTF_8));
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }
}
