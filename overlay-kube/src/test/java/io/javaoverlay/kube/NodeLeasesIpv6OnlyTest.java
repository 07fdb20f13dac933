package io.javaoverlay.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;

import io.javaoverlay.core.net.Ip6Net;

/**
 * Nodes read as an IPv6-only network's leases, as flannel v0.28's {@code nodeToLease} reads them
 * with {@code enableIPv4} false: the IPv6 half only.
 */
class NodeLeasesIpv6OnlyTest {

    /** What flanneld's vxlan backend writes on an IPv6-only node: no backend-data or public-ip (its IPv4 data is "null"). */
    static final Map<String, String> FLANNEL_VXLAN_V6ONLY = Map.of(
            "flannel.alpha.coreos.com/backend-type", "vxlan",
            "flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":1,\"VtepMAC\":\"3a:41:9d:0e:22:b7\"}",
            "flannel.alpha.coreos.com/kube-subnet-manager", "true",
            "flannel.alpha.coreos.com/public-ipv6", "fd00:122::11");

    private final NodeLeases leases = new NodeLeases(NodeAnnotations.of(null));

    NodeLeasesIpv6OnlyTest() {
        leases.readIpv6Only(true);
    }

    static Node v6Node(String name, String podCidr6, Map<String, String> annotations) {
        return new NodeBuilder().withNewMetadata().withName(name).withAnnotations(annotations).endMetadata()
                .withNewSpec().withPodCIDR(podCidr6).withPodCIDRs(podCidr6).endSpec().build();
    }

    @Test
    void aFlanneldIpv6OnlyNodeIsAnIpv6OnlyLease() {
        var l = leases.read(v6Node("n1", "fd00:10:244:1::/64", FLANNEL_VXLAN_V6ONLY)).lease().orElseThrow();
        assertThat(l.isIpv6Only()).isTrue();
        assertThat(l.ipv6Subnet()).contains(Ip6Net.parse("fd00:10:244:1::/64"));
        assertThat(l.attrs().publicIpv6()).contains("fd00:122::11");
        assertThat(l.attrs().backendType()).contains("vxlan");
        assertThat(l.attrs().backendV6Data().orElseThrow().get("VtepMAC").asText()).isEqualTo("3a:41:9d:0e:22:b7");
        assertThat(l.attrs().backendData()).isEmpty();
    }

    @Test
    void flanneldsHostGwZeroPublicIpAndNullDataAreNotRead() {
        Map<String, String> a = new HashMap<>(FLANNEL_VXLAN_V6ONLY);
        a.put("flannel.alpha.coreos.com/backend-type", "host-gw");
        a.put("flannel.alpha.coreos.com/backend-v6-data", "null");
        a.put("flannel.alpha.coreos.com/backend-data", "null");
        a.put("flannel.alpha.coreos.com/public-ip", "0.0.0.0");
        var l = leases.read(v6Node("n1", "fd00:10:244:1::/64", a)).lease().orElseThrow();
        assertThat(l.attrs().backendV6Data()).isEmpty();
        assertThat(l.attrs().publicIpv6()).contains("fd00:122::11");
        // a garbage public-ip is not read either: flannel's nodeToLease does not parse it with IPv4 off
        a.put("flannel.alpha.coreos.com/public-ip", "nonsense");
        assertThat(leases.read(v6Node("n1", "fd00:10:244:1::/64", a)).lease()).isPresent();
    }

    @Test
    void aDualStackNodeIsReadByItsIpv6Half() {
        Map<String, String> a = new HashMap<>(NodeLeasesTest.FLANNEL_VXLAN_DUAL);
        var l = leases.read(NodeLeasesTest.dualNode("d", "10.244.1.0/24", "fd00:10:244:1::/64", a)).lease().orElseThrow();
        assertThat(l.ipv4Subnet()).isEmpty();
        assertThat(l.keyName()).isEqualTo("fd00:10:244:1::-64");
        assertThat(l.attrs().backendData()).isEmpty();
    }

    @Test
    void malformedIpv6HalvesAreSkippedWithAReason() {
        assertThat(skip("fd00:10:244:1::/64", "flannel.alpha.coreos.com/public-ipv6", null)).isEqualTo("no-public-ipv6");
        assertThat(skip("fd00:10:244:1::/64", "flannel.alpha.coreos.com/public-ipv6", "")).isEqualTo("no-public-ipv6");
        assertThat(skip("fd00:10:244:1::/64", "flannel.alpha.coreos.com/public-ipv6", "10.0.0.1")).isEqualTo("bad-public-ipv6");
        assertThat(skip("fd00:10:244:1::/64", "flannel.alpha.coreos.com/backend-v6-data", "{\"VNI\":")).isEqualTo("bad-backend-v6-data");
        assertThat(skip("10.244.1.0/24", null, null)).as("an IPv4 podCIDR only").isEqualTo("no-pod-cidr");
        assertThat(skip("fd00:10:244:1::/129", null, null)).isEqualTo("bad-pod-cidr");
    }

    @Test
    void readingIpv4AgainTurnsItOff() {
        NodeLeases l = new NodeLeases(NodeAnnotations.of(null));
        l.readIpv6Only(true);
        l.readIpv6Only(false);
        assertThat(l.read(v6Node("n1", "fd00:10:244:1::/64", FLANNEL_VXLAN_V6ONLY)).skipped())
                .hasValueSatisfying(s -> assertThat(s.reason()).isEqualTo("no-public-ip"));
    }

    private String skip(String podCidr, String key, String value) {
        Map<String, String> a = new HashMap<>(FLANNEL_VXLAN_V6ONLY);
        if (key != null) {
            if (value == null) {
                a.remove(key);
            } else {
                a.put(key, value);
            }
        }
        NodeLeases.Read r = leases.read(v6Node("bad", podCidr, a));
        assertThat(r.lease()).isEmpty();
        return r.skipped().orElseThrow().reason();
    }
}
