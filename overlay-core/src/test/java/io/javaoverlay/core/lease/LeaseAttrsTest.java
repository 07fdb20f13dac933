package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

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
                assertThat(k.ipv6Subnet()).hasValue("fc00:0:0:1::-64"));
        assertThat(Lease.parseKeyName("10.5.1.7-24")).as("host bits set").isEmpty();
        assertThat(Lease.parseKeyName("config")).isEmpty();
        Lease l = new Lease(Ip4Net.parse("10.5.1.0/24"), Optional.of("fc00:0:0:1::-64"),
                LeaseAttrs.of(Ip4.parse("1.2.3.4"), Optional.empty(), Optional.empty()), false, Optional.empty(), 1);
        assertThat(l.keyName()).isEqualTo("10.5.1.0-24&fc00:0:0:1::-64");
    }
}
