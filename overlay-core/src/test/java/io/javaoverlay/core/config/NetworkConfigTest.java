package io.javaoverlay.core.config;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class NetworkConfigTest {

    /** json, expected SubnetLen, SubnetMin, SubnetMax, backend type. */
    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("{\"Network\":\"10.5.0.0/16\"}", 24, "10.5.1.0", "10.5.255.0", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/22\"}", 24, "10.5.1.0", "10.5.3.0", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/23\"}", 25, "10.5.0.128", "10.5.1.128", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/28\"}", 30, "10.5.0.4", "10.5.0.12", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":20}", 20, "10.5.16.0", "10.5.240.0", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":18}", 18, "10.5.64.0", "10.5.192.0", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.10.0\",\"SubnetMax\":\"10.5.12.0\"}",
                        24, "10.5.10.0", "10.5.12.0", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.7.0\",\"SubnetMax\":\"10.5.7.0\"}",
                        24, "10.5.7.0", "10.5.7.0", BackendType.UDP),
                // keys are case-insensitive and unknown keys are ignored, as in flannel (Go's encoding/json)
                Arguments.of("{\"network\":\"10.5.0.0/16\",\"SUBNETLEN\":26,\"backend\":{\"type\":\"VXLAN\"},\"Comment\":\"x\"}",
                        26, "10.5.0.64", "10.5.255.192", BackendType.VXLAN),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}", 24, "10.5.1.0", "10.5.255.0",
                        BackendType.HOST_GW),
                // Go's ParseCIDR clears host bits, so flannel accepts this
                Arguments.of("{\"Network\":\"10.5.3.4/16\"}", 24, "10.5.1.0", "10.5.255.0", BackendType.UDP),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":0,\"SubnetMin\":null}", 24, "10.5.1.0", "10.5.255.0",
                        BackendType.UDP));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void appliesFlannelsDefaults(String json, int len, String min, String max, BackendType type) {
        NetworkConfig c = NetworkConfig.parse(json);
        assertThat(c.enableIPv4()).isTrue();
        assertThat(c.subnetLen()).isEqualTo(len);
        assertThat(c.subnetMin()).hasToString(min);
        assertThat(c.subnetMax()).hasToString(max);
        assertThat(c.backendType()).isEqualTo(type);
    }

    /** json, a fragment the error message must contain (what is wrong and what to do). */
    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("", "the network config is empty: write e.g."),
                Arguments.of("{\"Network\":", "not valid JSON"),
                Arguments.of("[1,2]", "must be a JSON object"),
                Arguments.of("{}", "Network is missing: set \"Network\""),
                Arguments.of("{\"Network\":null}", "Network is missing"),
                Arguments.of("{\"Network\":42}", "Network must be a string"),
                Arguments.of("{\"Network\":\"fc00::/48\"}", "is not an IPv4 CIDR: set an IPv4 network"),
                Arguments.of("{\"Network\":\"10.5.0.0\"}", "has no prefix length: write it as a CIDR, e.g. \"10.5.0.0/16\""),
                Arguments.of("{\"Network\":\"10.5.0.300/16\"}", "is not an IPv4 CIDR"),
                Arguments.of("{\"Network\":\"10.5.0.0/29\"}", "Network 10.5.0.0/29 is too small: use a /28 or wider"),
                Arguments.of("{\"Network\":\"0.0.0.0/0\"}", "Network 0.0.0.0/0 overlaps \"this network\" (0.0.0.0/8)"),
                Arguments.of("{\"Network\":\"127.0.0.0/8\"}", "Network 127.0.0.0/8 overlaps loopback (127.0.0.0/8): no host can route"),
                Arguments.of("{\"Network\":\"224.0.0.0/4\"}", "overlaps multicast (224.0.0.0/4)"),
                Arguments.of("{\"Network\":\"128.0.0.0/1\"}", "Network 128.0.0.0/1 overlaps link-local (169.254.0.0/16)"),
                Arguments.of("{\"Network\":\"169.254.0.0/16\"}", "overlaps link-local (169.254.0.0/16)"),
                Arguments.of("{\"Network\":\"250.1.0.0/16\"}", "overlaps reserved or broadcast (240.0.0.0/4)"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":31}", "SubnetLen 31 is too long: use 30 or less"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":17}",
                        "SubnetLen 17 is too short for Network 10.5.0.0/16: use at least 18 so the network holds four subnets"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":\"24\"}", "SubnetLen must be a whole number"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":24.5}", "SubnetLen must be a whole number"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetLen\":-1}", "SubnetLen must be 0-32"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.6.1.0\"}", "SubnetMin 10.6.1.0 is outside Network 10.5.0.0/16"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMax\":\"10.4.1.0\"}", "SubnetMax 10.4.1.0 is outside Network 10.5.0.0/16"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.1.7\"}",
                        "SubnetMin 10.5.1.7 is not on a /24 boundary: use 10.5.1.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMax\":\"10.5.9.128\"}",
                        "SubnetMax 10.5.9.128 is not on a /24 boundary: use 10.5.9.0"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.9.0\",\"SubnetMax\":\"10.5.3.0\"}",
                        "SubnetMin 10.5.9.0 is above SubnetMax 10.5.3.0: swap them or widen the range"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"ten\"}", "SubnetMin \"ten\" is not an IPv4 address"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{}}", "Backend.Type is missing"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":\"vxlan\"}", "Backend must be a JSON object"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"carrier-pigeon\"}}",
                        "unknown Backend.Type \"carrier-pigeon\": use one of vxlan, udp, host-gw, wireguard"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"ipsec\"}}",
                        "Backend.Type \"ipsec\" is a flannel backend that javaoverlay does not support: use one of vxlan, udp, host-gw, wireguard"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":16777216}}", "Backend.VNI must be 0-16777215"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"vni\":\"one\"}}", "Backend.VNI must be a whole number, got \"one\""),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"udp\",\"Port\":70000}}", "Backend.Port must be 0-65535"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"MTU\":10}}", "Backend.MTU must be 68-65535"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"DirectRouting\":\"yes\"}}",
                        "Backend.DirectRouting must be true or false"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv4\":\"true\"}", "EnableIPv4 must be true or false"),
                Arguments.of("{\"EnableIPv4\":false}", "EnableIPv4 and EnableIPv6 are both false"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true}", "IPv6Network is missing while EnableIPv6 is true"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"10.6.0.0/16\"}",
                        "IPv6Network \"10.6.0.0/16\" is not an IPv6 CIDR"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/125\"}",
                        "IPv6Network fc00::/125 is too small: use a /124 or wider"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetLen\":127}",
                        "IPv6SubnetLen 127 is too long"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetLen\":49}",
                        "IPv6SubnetLen 49 is too short for IPv6Network fc00::/48: use at least 50"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMin\":\"fc01::\"}",
                        "IPv6SubnetMin fc01:: is outside IPv6Network fc00::/48"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMin\":\"fc00:0:0:1::5\"}",
                        "IPv6SubnetMin fc00:0:0:1::5 is not on a /64 boundary: use fc00:0:0:1::"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\","
                        + "\"IPv6SubnetMin\":\"fc00:0:0:9::\",\"IPv6SubnetMax\":\"fc00:0:0:2::\"}",
                        "IPv6SubnetMin fc00:0:0:9:: is above IPv6SubnetMax fc00:0:0:2::"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fe80::/64\"}",
                        "IPv6Network fe80::/64 overlaps the link-local range fe80::/10"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"::/0\"}", "IPv6Network ::/0 overlaps"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"ff00::/48\"}",
                        "overlaps the multicast range ff00::/8"),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"IPv6SubnetMax\":\"fc01::\"}",
                        "IPv6SubnetMax fc01:: is outside IPv6Network fc00::/48"));
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @MethodSource("invalid")
    void rejectsWithAMessageThatSaysWhatToFix(String json, String message) {
        assertThatThrownBy(() -> NetworkConfig.parse(json))
                .isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining(message);
    }

    @Test
    void keepsBackendKeysTypedAndRaw() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"vni\":4096,"
                + "\"Port\":4789,\"MTU\":1400,\"DirectRouting\":true,\"Custom\":{\"a\":1}}}");
        BackendConfig b = c.backend();
        assertThat(b.vni()).hasValue(4096);
        assertThat(b.port()).hasValue(4789);
        assertThat(b.mtu()).hasValue(1400);
        assertThat(b.directRouting()).isTrue();
        assertThat(b.gbp()).isFalse();
        assertThat(b.get("custom")).hasValueSatisfying(n -> assertThat(n.get("a").intValue()).isEqualTo(1));
        assertThat(b.raw().get("Type").textValue()).isEqualTo("vxlan");
        b.raw().put("VNI", 7);
        assertThat(b.vni()).as("raw() is a copy").hasValue(4096);
    }

    @Test
    void unsetBackendKeysAreEmptyNotDefaulted() {
        BackendConfig b = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}").backend();
        assertThat(b.vni()).isEmpty();
        assertThat(b.port()).isEmpty();
        assertThat(b.mtu()).isEmpty();
    }

    @Test
    void ipv6DefaultsFollowFlannel() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\"}");
        Ipv6Config v6 = c.ipv6().orElseThrow();
        assertThat(v6.subnetLen()).isEqualTo(64);
        assertThat(Ip6Net.format(v6.subnetMin())).isEqualTo("fc00:0:0:1::");
        assertThat(Ip6Net.format(v6.subnetMax())).isEqualTo("fc00:0:0:ffff::");

        Ipv6Config small = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/120\"}")
                .ipv6().orElseThrow();
        assertThat(small.subnetLen()).isEqualTo(122);
    }

    @Test
    void ipv6LeasesFitAsFlannelsIsIPv6SubnetConfigCompatSays() {
        NetworkConfig dual = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\"}");
        assertThat(dual.isCompatible(Optional.of(Ip6Net.parse("fc00:5:0:34::/64")))).isTrue();
        assertThat(dual.isCompatible(Optional.of(Ip6Net.parse("fc00:5::/64")))).as("the first subnet is skipped").isFalse();
        assertThat(dual.isCompatible(Optional.of(Ip6Net.parse("fc00:5:0:34::/80")))).as("not IPv6SubnetLen").isFalse();
        assertThat(dual.isCompatible(Optional.of(Ip6Net.parse("fc00:6::/64")))).isFalse();
        assertThat(dual.isCompatible(Optional.<Ip6Net>empty())).as("a lease without its IPv6 half").isFalse();
        assertThat(dual.describe()).contains("IPv6Network=fc00:5::/48 IPv6SubnetLen=64 IPv6SubnetMin=fc00:5:0:1:: IPv6SubnetMax=fc00:5:0:ffff::");

        NetworkConfig v4 = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\"}");
        assertThat(v4.isCompatible(Optional.<Ip6Net>empty())).isTrue();
        assertThat(v4.isCompatible(Optional.of(Ip6Net.parse("fc00:5:0:34::/64")))).as("IPv6 disabled: no IPv6 half").isFalse();
    }

    @Test
    void compatibilityAndCount() {
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"SubnetMin\":\"10.5.10.0\",\"SubnetMax\":\"10.5.12.0\"}");
        assertThat(c.subnetCount()).isEqualTo(3);
        assertThat(c.isCompatible(Ip4Net.parse("10.5.11.0/24"))).isTrue();
        assertThat(c.isCompatible(Ip4Net.parse("10.5.13.0/24"))).isFalse();
        assertThat(c.isCompatible(Ip4Net.parse("10.5.11.0/25"))).isFalse();
        assertThat(NetworkConfig.parse("{\"Network\":\"10.0.0.0/8\"}").subnetCount()).isEqualTo(65535);
    }
}
