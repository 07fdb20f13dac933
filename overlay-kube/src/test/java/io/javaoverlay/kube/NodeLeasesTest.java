package io.javaoverlay.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;

import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/**
 * Nodes read and written exactly as flannel's kube subnet manager does (pkg/subnet/kube,
 * annotations.go and kube.go of flannel v0.28): the fixtures are what flanneld leaves on a node.
 */
class NodeLeasesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final NodeLeases leases = new NodeLeases(NodeAnnotations.of(null));

    /** What flanneld's vxlan backend writes on a node (Go's json.Marshal of its lease attributes). */
    static final Map<String, String> FLANNEL_VXLAN = Map.of(
            "flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"}",
            "flannel.alpha.coreos.com/backend-type", "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager", "true",
            "flannel.alpha.coreos.com/public-ip", "192.168.122.11");

    /** ... and its host-gw backend: no data, which Go marshals as null. */
    static final Map<String, String> FLANNEL_HOST_GW = Map.of(
            "flannel.alpha.coreos.com/backend-data", "null",
            "flannel.alpha.coreos.com/backend-type", "host-gw",
            "flannel.alpha.coreos.com/kube-subnet-manager", "true",
            "flannel.alpha.coreos.com/public-ip", "192.168.122.12");

    static Node node(String name, String podCidr, Map<String, String> annotations) {
        return new NodeBuilder().withNewMetadata().withName(name).withAnnotations(annotations).endMetadata()
                .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr == null ? List.of() : List.of(podCidr)).endSpec().build();
    }

    @Test
    void theAnnotationNamesFollowFlannelsPrefixRules() {
        assertThat(NodeAnnotations.of(null).backendData()).isEqualTo("flannel.alpha.coreos.com/backend-data");
        assertThat(NodeAnnotations.of("example.com").publicIp()).isEqualTo("example.com/public-ip");
        assertThat(NodeAnnotations.of("example.com/net").kubeSubnetManager()).isEqualTo("example.com/net-kube-subnet-manager");
        assertThat(NodeAnnotations.of("example.com/net-").backendType()).isEqualTo("example.com/net-backend-type");
        assertThat(NodeAnnotations.of(null).publicIpOverwrite()).isEqualTo("flannel.alpha.coreos.com/public-ip-overwrite");
        assertThatThrownBy(() -> NodeAnnotations.of("a/b/c")).hasMessageContaining("at most a single slash");
        assertThatThrownBy(() -> NodeAnnotations.of("Example.com")).hasMessageContaining("fqdn/[0-9a-z-_]*");
        assertThatThrownBy(() -> NodeAnnotations.of("localhost")).hasMessageContaining("fqdn/[0-9a-z-_]*");
    }

    @Test
    void aNodeFlannelAnnotatedIsTheLeaseFlannelWouldPutInEtcd() throws Exception {
        var l = leases.read(node("n1", "10.244.1.0/24", FLANNEL_VXLAN)).lease().orElseThrow();
        assertThat(l.subnet()).isEqualTo(Ip4Net.parse("10.244.1.0/24"));
        assertThat(l.attrs()).isEqualTo(LeaseAttrs.parse(
                "{\"PublicIP\":\"192.168.122.11\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"}}"));
        var gw = leases.read(node("n2", "10.244.2.0/24", FLANNEL_HOST_GW)).lease().orElseThrow();
        assertThat(gw.attrs()).isEqualTo(LeaseAttrs.parse("{\"PublicIP\":\"192.168.122.12\",\"BackendType\":\"host-gw\"}"));
    }

    @Test
    void thisHostsAttributesAreWrittenByteForByteAsFlannelWritesThem() throws Exception {
        LeaseAttrs vxlan = LeaseAttrs.of(Ip4.parse("192.168.122.11"), Optional.of("vxlan"),
                Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"}")));
        assertThat(leases.annotationsFor(vxlan, Map.of())).containsExactlyInAnyOrderEntriesOf(FLANNEL_VXLAN);
        LeaseAttrs hostGw = LeaseAttrs.of(Ip4.parse("192.168.122.12"), Optional.of("host-gw"), Optional.empty());
        assertThat(leases.annotationsFor(hostGw, Map.of())).containsExactlyInAnyOrderEntriesOf(FLANNEL_HOST_GW);
        // a vxlan backend without data writes only its type and the manager mark (flannel's condition)
        assertThat(leases.annotationsFor(LeaseAttrs.of(Ip4.parse("192.168.122.11"), Optional.of("vxlan"), Optional.empty()), Map.of()))
                .containsOnlyKeys("flannel.alpha.coreos.com/backend-type", "flannel.alpha.coreos.com/kube-subnet-manager");
    }

    @Test
    void publicIpOverwriteIsPublishedInsteadOfTheInterfacesAddress() {
        LeaseAttrs hostGw = LeaseAttrs.of(Ip4.parse("192.168.122.12"), Optional.of("host-gw"), Optional.empty());
        assertThat(leases.annotationsFor(hostGw, Map.of("flannel.alpha.coreos.com/public-ip-overwrite", "203.0.113.7")))
                .containsEntry("flannel.alpha.coreos.com/public-ip", "203.0.113.7");
        assertThat(leases.publicIpOverwrite(node("n", "10.244.1.0/24", Map.of("flannel.alpha.coreos.com/public-ip-overwrite", "203.0.113.7"))))
                .contains(Ip4.parse("203.0.113.7"));
    }

    @Test
    void onlyNodesMarkedByAKubeSubnetManagerArePeers() {
        Map<String, String> unmarked = new java.util.HashMap<>(FLANNEL_VXLAN);
        unmarked.remove("flannel.alpha.coreos.com/kube-subnet-manager");
        NodeLeases.Read r = leases.read(node("n", "10.244.1.0/24", unmarked));
        assertThat(r.lease()).isEmpty();
        assertThat(r.skipped()).as("not a fault: a node without flannel yet").isEmpty();
    }

    @Test
    void theIpv4PodCidrOfADualStackNodeIsTheLease() {
        Node dual = new NodeBuilder().withNewMetadata().withName("d").withAnnotations(FLANNEL_VXLAN).endMetadata()
                .withNewSpec().withPodCIDR("fd00:10:244:1::/64").withPodCIDRs("fd00:10:244:1::/64", "10.244.7.0/24").endSpec().build();
        assertThat(leases.read(dual).lease()).hasValueSatisfying(l -> assertThat(l.subnet()).isEqualTo(Ip4Net.parse("10.244.7.0/24")));
        Node v6only = new NodeBuilder().withNewMetadata().withName("v6").withAnnotations(FLANNEL_VXLAN).endMetadata()
                .withNewSpec().withPodCIDR("fd00:10:244:1::/64").endSpec().build();
        assertThat(leases.read(v6only).skipped()).hasValueSatisfying(s -> assertThat(s.reason()).isEqualTo("no-pod-cidr"));
        // host bits are cleared, as Go's net.ParseCIDR does
        assertThat(NodeLeases.podCidr(node("h", "10.244.9.5/24", Map.of()))).contains(Ip4Net.parse("10.244.9.0/24"));
    }

    @Test
    void malformedNodesAreSkippedWithAReason() {
        assertThat(skip("10.244.1.0/24", Map.of("flannel.alpha.coreos.com/public-ip", "not-an-ip"))).isEqualTo("bad-public-ip");
        assertThat(skip("10.244.1.0/24", Map.of("flannel.alpha.coreos.com/public-ip", ""))).isEqualTo("no-public-ip");
        assertThat(skip("10.244.1.0/24", Map.of("flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,"))).isEqualTo("bad-backend-data");
        assertThat(skip("10.244.1.0/24", Map.of("flannel.alpha.coreos.com/backend-data", "[1,2]"))).isEqualTo("bad-backend-data");
        assertThat(skip("10.244.1.0", Map.of())).isEqualTo("bad-pod-cidr");
        assertThat(skip("10.244.1.0/33", Map.of())).isEqualTo("bad-pod-cidr");
        assertThat(skip(null, Map.of())).isEqualTo("no-pod-cidr");
    }

    private String skip(String podCidr, Map<String, String> override) {
        Map<String, String> a = new java.util.HashMap<>(FLANNEL_VXLAN);
        a.putAll(override);
        NodeLeases.Read r = leases.read(node("bad", podCidr, a));
        assertThat(r.lease()).isEmpty();
        return r.skipped().orElseThrow().reason();
    }
}
