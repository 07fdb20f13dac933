package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class LeaseAttrsTest {

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"PublicIP\":\"10.42.1.171\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"da:2c:7a:e7:5b:23\"}}",
        "{\"PublicIP\":\"10.42.1.172\",\"PublicIPv6\":null}",
        "{\"PublicIP\":\"10.42.1.173\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}",
        "{\"PublicIP\":\"10.42.1.174\",\"PublicIPv6\":\"fd00::174\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"aa:aa:aa:aa:aa:aa\"},"
                + "\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"bb:bb:bb:bb:bb:bb\"}}"
    })
    void flannelsValuesRoundTripByteForByte(String flannel) {
        assertThat(LeaseAttrs.parse(flannel).toJson()).isEqualTo(flannel);
    }

    @Test
    void readsKeysCaseInsensitivelyAsGoDoes() {
        LeaseAttrs a = LeaseAttrs.parse("{\"publicip\":\"10.1.1.1\",\"backendtype\":\"vxlan\",\"backenddata\":{\"VNI\":3}}");
        assertThat(a.publicIp()).isEqualTo(Ip4.parse("10.1.1.1"));
        assertThat(a.backendType()).hasValue("vxlan");
        assertThat(a.toJson()).isEqualTo("{\"PublicIP\":\"10.1.1.1\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":3}}");
    }

    @Test
    void rejectsValuesWithoutAPublicIp() {
        assertThatThrownBy(() -> LeaseAttrs.parse("{\"BackendType\":\"vxlan\"}")).hasMessageContaining("no PublicIP");
        assertThatThrownBy(() -> LeaseAttrs.parse("[1]")).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> LeaseAttrs.parse("{")).hasMessageContaining("not JSON");
    }

    @Test
    void parsesFlannelsKeyNames() {
        assertThat(Lease.parseKeyName("10.5.1.0-24")).hasValueSatisfying(k -> {
            assertThat(k.subnet()).isEqualTo(Ip4Net.parse("10.5.1.0/24"));
            assertThat(k.ipv6Subnet()).isEmpty();
        });
        assertThat(Lease.parseKeyName("10.5.1.0-24&fc00:0:0:1::-64")).hasValueSatisfying(k ->
                assertThat(k.ipv6Subnet()).hasValue(Ip6Net.parse("fc00:0:0:1::/64")));
        assertThat(Lease.parseKeyName("10.5.1.7-24")).as("host bits set").isEmpty();
        assertThat(Lease.parseKeyName("config")).isEmpty();
        Lease l = new Lease(Ip4Net.parse("10.5.1.0/24"), Optional.of(Ip6Net.parse("fc00:0:0:1::/64")),
                LeaseAttrs.of(Ip4.parse("1.2.3.4"), Optional.empty(), Optional.empty()), false, Optional.empty(), 1);
        assertThat(l.keyName()).isEqualTo("10.5.1.0-24&fc00:0:0:1::-64");
    }

    /**
     * A dual-stack vxlan lease as flannel v0.28 writes it: LeaseAttrs{PublicIP, PublicIPv6 *ip.IP6, BackendType,
     * BackendData, BackendV6Data} in struct order, the key 10.5.52.0-24&fc00:5:34::-64 (MakeSubnetKey).
     */
    @Test
    void readsAndWritesFlannelsDualStackLeaseByteForByte() {
        String flannel = "{\"PublicIP\":\"192.168.1.5\",\"PublicIPv6\":\"fd00:1::5\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"6a:1f:40:e3:9d:01\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"6a:1f:40:e3:9d:02\"}}";
        LeaseAttrs a = LeaseAttrs.parse(flannel);
        assertThat(a.publicIpv6()).hasValue("fd00:1::5");
        assertThat(a.backendV6Data()).hasValueSatisfying(d -> assertThat(d.path("VtepMAC").asText()).isEqualTo("6a:1f:40:e3:9d:02"));
        assertThat(a.toJson()).isEqualTo(flannel);

        assertThat(Lease.parseKeyName("10.5.52.0-24&fc00:5:34::-64")).hasValueSatisfying(k -> {
            assertThat(k.subnet()).isEqualTo(Ip4Net.parse("10.5.52.0/24"));
            assertThat(k.ipv6Subnet()).hasValue(Ip6Net.parse("fc00:5:34::/64"));
            assertThat(Lease.keyName(k.subnet(), k.ipv6Subnet())).isEqualTo("10.5.52.0-24&fc00:5:34::-64");
        });
        // Go's net.IP prints the RFC 5952 form; another spelling is read and written back in that form
        assertThat(LeaseAttrs.parse("{\"PublicIP\":\"192.168.1.5\",\"PublicIPv6\":\"FD00:1:0:0:0:0:0:5\"}").publicIpv6()).hasValue("fd00:1::5");
        assertThatThrownBy(() -> LeaseAttrs.parse("{\"PublicIP\":\"192.168.1.5\",\"PublicIPv6\":\"10.0.0.1\"}"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Lease.parseKeyName("10.5.52.0-24&fc00:5:34::1-64")).as("IPv6 host bits set").isEmpty();
        assertThat(Lease.parseKeyName("10.5.52.0-24&fc00:5:34::-129")).isEmpty();
    }
}
