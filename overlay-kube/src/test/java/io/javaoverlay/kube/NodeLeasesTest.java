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
import io.javaoverlay.core.net.Ip6Net;

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

    /**
     * What flanneld's vxlan backend writes on a dual-stack node (kube.go's AcquireLease with a
     * PublicIPv6): beside the IPv4 ones, backend-v6-data (the flannel-v6.1 device's VNI and MAC, Go's
     * json.Marshal of vxlanLeaseAttrs) and public-ipv6 (net.IP.String(): RFC 5952).
     */
    static final Map<String, String> FLANNEL_VXLAN_DUAL = Map.of(
            "flannel.alpha.coreos.com/backend-data", "{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"}",
            "flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}",
            "flannel.alpha.coreos.com/backend-type", "vxlan",
            "flannel.alpha.coreos.com/kube-subnet-manager", "true",
            "flannel.alpha.coreos.com/public-ip", "192.168.122.11",
            "flannel.alpha.coreos.com/public-ipv6", "fd00:122::11");

    /** ... and its host-gw backend: no data for either family, both marshalled as null. */
    static final Map<String, String> FLANNEL_HOST_GW_DUAL = Map.of(
            "flannel.alpha.coreos.com/backend-data", "null",
            "flannel.alpha.coreos.com/backend-v6-data", "null",
            "flannel.alpha.coreos.com/backend-type", "host-gw",
            "flannel.alpha.coreos.com/kube-subnet-manager", "true",
            "flannel.alpha.coreos.com/public-ip", "192.168.122.12",
            "flannel.alpha.coreos.com/public-ipv6", "fd00:122::12");

    /** A node as kube-controller-manager leaves it in a dual-stack cluster: podCIDR the first of podCIDRs. */
    static Node dualNode(String name, String podCidr4, String podCidr6, Map<String, String> annotations) {
        return new NodeBuilder().withNewMetadata().withName(name).withAnnotations(annotations).endMetadata()
                .withNewSpec().withPodCIDR(podCidr4).withPodCIDRs(podCidr4, podCidr6).endSpec().build();
    }

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
    void aDualStackNodeFlannelAnnotatedIsTheDualStackLeaseFlannelWouldPutInEtcd() {
        var l = leases.read(dualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", FLANNEL_VXLAN_DUAL)).lease().orElseThrow();
        assertThat(l.subnet()).isEqualTo(Ip4Net.parse("10.244.1.0/24"));
        assertThat(l.ipv6Subnet()).contains(Ip6Net.parse("fd00:10:244:1::/64"));
        assertThat(l.keyName()).isEqualTo("10.244.1.0-24&fd00:10:244:1::-64");
        // the value flannel's etcd manager would hold for the same host (LeaseAttrs' Go struct order)
        assertThat(l.attrs().toJson()).isEqualTo("{\"PublicIP\":\"192.168.122.11\",\"PublicIPv6\":\"fd00:122::11\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}}");
        // IPv6 first in podCIDRs (an IPv6-primary cluster), and host-gw's null data
        var gw = leases.read(new NodeBuilder().withNewMetadata().withName("n2").withAnnotations(FLANNEL_HOST_GW_DUAL).endMetadata()
                .withNewSpec().withPodCIDR("fd00:10:244:2::/64").withPodCIDRs("fd00:10:244:2::/64", "10.244.2.0/24").endSpec().build())
                .lease().orElseThrow();
        assertThat(gw.keyName()).isEqualTo("10.244.2.0-24&fd00:10:244:2::-64");
        assertThat(gw.attrs().toJson()).isEqualTo("{\"PublicIP\":\"192.168.122.12\",\"PublicIPv6\":\"fd00:122::12\",\"BackendType\":\"host-gw\"}");
        // another spelling of the address reads as Go prints it
        Map<String, String> longForm = new java.util.HashMap<>(FLANNEL_HOST_GW_DUAL);
        longForm.put("flannel.alpha.coreos.com/public-ipv6", "FD00:0122:0:0:0:0:0:0012");
        assertThat(leases.read(dualNode("n3", "10.244.3.0/24", "fd00:10:244:3::/64", longForm)).lease().orElseThrow().attrs().publicIpv6())
                .contains("fd00:122::12");
    }

    @Test
    void aNodeThatPublishesNoIpv6IsAnIpv4OnlyLeaseAndANodeWithoutAnIpv6PodCidrHasNoIpv6Half() {
        var v4only = leases.read(dualNode("n1", "10.244.1.0/24", "fd00:10:244:1::/64", FLANNEL_VXLAN)).lease().orElseThrow();
        assertThat(v4only.ipv6Subnet()).isEmpty();
        assertThat(v4only.attrs().publicIpv6()).isEmpty();
        var noCidr6 = leases.read(node("n2", "10.244.2.0/24", FLANNEL_VXLAN_DUAL)).lease().orElseThrow();
        assertThat(noCidr6.ipv6Subnet()).as("nothing to route to").isEmpty();
        assertThat(noCidr6.attrs().publicIpv6()).contains("fd00:122::11");
    }

    @Test
    void theIpv6PodCidrIsReadAsFlannelPicksIt() {
        assertThat(NodeLeases.podCidr6(dualNode("d", "10.244.1.0/24", "fd00:10:244:1::/64", Map.of())))
                .contains(Ip6Net.parse("fd00:10:244:1::/64"));
        assertThat(NodeLeases.podCidr6(node("v6", "fd00:10:244:5::/64", Map.of()))).contains(Ip6Net.parse("fd00:10:244:5::/64"));
        assertThat(NodeLeases.podCidr6(node("v4", "10.244.1.0/24", Map.of()))).isEmpty();
        assertThat(NodeLeases.podCidr6(new NodeBuilder().withNewMetadata().withName("o").endMetadata()
                .withNewSpec().withPodCIDR("fd00:10:244:6::1/64").endSpec().build()))
                .as("host bits cleared, as Go's net.ParseCIDR does").contains(Ip6Net.parse("fd00:10:244:6::/64"));
        assertThatThrownBy(() -> NodeLeases.podCidr6(dualNode("bad", "10.244.1.0/24", "fd00:zz::/64", Map.of())))
                .hasMessageContaining("\"fd00:zz::/64\" is not a CIDR");
        assertThatThrownBy(() -> NodeLeases.podCidr6(new NodeBuilder().withNewMetadata().withName("three").endMetadata()
                .withNewSpec().withPodCIDRs("10.244.1.0/24", "fd00::/64", "fd01::/64").endSpec().build()))
                .hasMessageContaining("neither single nor dual stack");
    }

    @Test
    void thisHostsDualStackAttributesAreWrittenByteForByteAsFlannelWritesThem() throws Exception {
        LeaseAttrs vxlan = LeaseAttrs.of(Ip4.parse("192.168.122.11"), Optional.of("vxlan"),
                Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"}")))
                .withIpv6("fd00:122::11", Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}")));
        assertThat(leases.annotationsFor(vxlan, Map.of())).containsExactlyInAnyOrderEntriesOf(FLANNEL_VXLAN_DUAL);
        LeaseAttrs hostGw = LeaseAttrs.of(Ip4.parse("192.168.122.12"), Optional.of("host-gw"), Optional.empty())
                .withIpv6("fd00:122::12", Optional.empty());
        assertThat(leases.annotationsFor(hostGw, Map.of())).containsExactlyInAnyOrderEntriesOf(FLANNEL_HOST_GW_DUAL);
        // vxlan without IPv6 data writes no IPv6 annotations (flannel's condition)
        assertThat(leases.annotationsFor(LeaseAttrs.of(Ip4.parse("192.168.122.11"), Optional.of("vxlan"),
                Optional.of(JSON.readTree("{\"VNI\":1,\"VtepMAC\":\"8e:c6:26:1c:3f:95\"}"))).withIpv6("fd00:122::11", Optional.empty()), Map.of()))
                .doesNotContainKeys("flannel.alpha.coreos.com/public-ipv6", "flannel.alpha.coreos.com/backend-v6-data");
        // written and read back: the same lease
        Map<String, String> written = leases.annotationsFor(vxlan, Map.of());
        assertThat(leases.read(dualNode("n", "10.244.1.0/24", "fd00:10:244:1::/64", written)).lease().orElseThrow().attrs()).isEqualTo(vxlan);
    }

    @Test
    void publicIpv6OverwriteIsPublishedInsteadOfTheInterfacesAddress() {
        LeaseAttrs hostGw = LeaseAttrs.of(Ip4.parse("192.168.122.12"), Optional.of("host-gw"), Optional.empty())
                .withIpv6("fd00:122::12", Optional.empty());
        assertThat(leases.annotationsFor(hostGw, Map.of("flannel.alpha.coreos.com/public-ipv6-overwrite", "2001:db8::7")))
                .containsEntry("flannel.alpha.coreos.com/public-ipv6", "2001:db8::7")
                .containsEntry("flannel.alpha.coreos.com/public-ip", "192.168.122.12");
        assertThatThrownBy(() -> leases.annotationsFor(hostGw, Map.of("flannel.alpha.coreos.com/public-ipv6-overwrite", "10.0.0.1")))
                .hasMessageContaining("public-ipv6-overwrite \"10.0.0.1\" is not an IPv6 address");
        assertThat(leases.publicIpv6Overwrite(node("n", "10.244.1.0/24", Map.of("flannel.alpha.coreos.com/public-ipv6-overwrite",
                "2001:DB8:0:0::7")))).contains("2001:db8::7");
        assertThat(leases.publicIpv6Overwrite(node("n", "10.244.1.0/24", Map.of()))).isEmpty();
        assertThatThrownBy(() -> leases.publicIpv6Overwrite(node("n", "10.244.1.0/24",
                Map.of("flannel.alpha.coreos.com/public-ipv6-overwrite", "203.0.113.7")))).hasMessageContaining("is not an IPv6 address");
    }

    @Test
    void malformedIpv6AnnotationsSkipTheNodeWithAReason() {
        assertThat(skipDual(Map.of("flannel.alpha.coreos.com/public-ipv6", "192.168.122.11"))).isEqualTo("bad-public-ipv6");
        assertThat(skipDual(Map.of("flannel.alpha.coreos.com/public-ipv6", "fd00::zz"))).isEqualTo("bad-public-ipv6");
        assertThat(skipDual(Map.of("flannel.alpha.coreos.com/public-ipv6", "fe80::1%eth0"))).isEqualTo("bad-public-ipv6");
        assertThat(skipDual(Map.of("flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":"))).isEqualTo("bad-backend-v6-data");
        assertThat(skipDual(Map.of("flannel.alpha.coreos.com/backend-v6-data", "\"text\""))).isEqualTo("bad-backend-v6-data");
        Map<String, String> a = new java.util.HashMap<>(FLANNEL_VXLAN_DUAL);
        assertThat(leases.read(dualNode("bad", "10.244.1.0/24", "fd00:10:244::1::/64", a)).skipped().orElseThrow().reason())
                .isEqualTo("bad-pod-cidr");
    }

    private String skipDual(Map<String, String> override) {
        Map<String, String> a = new java.util.HashMap<>(FLANNEL_VXLAN_DUAL);
        a.putAll(override);
        NodeLeases.Read r = leases.read(dualNode("bad", "10.244.1.0/24", "fd00:10:244:1::/64", a));
        assertThat(r.lease()).isEmpty();
        return r.skipped().orElseThrow().reason();
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
