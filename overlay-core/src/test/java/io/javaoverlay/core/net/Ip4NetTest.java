package io.javaoverlay.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class Ip4NetTest {

    @Test
    void parsesAndFormatsAddresses() {
        assertThat(Ip4.parse("10.42.1.171").toString()).isEqualTo("10.42.1.171");
        assertThat(Ip4.parse("255.255.255.255").value()).isEqualTo(-1);
        assertThat(Ip4.parse("192.168.0.1").compareTo(Ip4.parse("10.0.0.1"))).isPositive();
        assertThat(Ip4.fromBytes(Ip4.parse("1.2.3.4").toBytes())).isEqualTo(Ip4.of(1, 2, 3, 4));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.-4", "a.b.c.d", "1..2.3", " 1.2.3.4", "1.2.3.4/24"})
    void rejectsMalformedAddresses(String text) {
        assertThatThrownBy(() -> Ip4.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("IPv4");
    }

    @Test
    void networkArithmetic() {
        Ip4Net net = Ip4Net.parse("192.168.0.0/16");
        assertThat(net.size()).isEqualTo(65536);
        assertThat(net.last()).isEqualTo(Ip4.parse("192.168.255.255"));
        assertThat(net.subnet(24, 50)).isEqualTo(Ip4Net.parse("192.168.50.0/24"));
        assertThat(net.contains(Ip4Net.parse("192.168.50.0/24"))).isTrue();
        assertThat(net.contains(Ip4Net.parse("192.0.0.0/8"))).isFalse();
        assertThat(net.overlaps(Ip4Net.parse("192.0.0.0/8"))).isTrue();
        assertThat(Ip4Net.parse("10.5.1.0/24").next()).isEqualTo(Ip4Net.parse("10.5.2.0/24"));
        assertThat(Ip4Net.parse("10.5.1.0/24").firstHost()).isEqualTo(Ip4.parse("10.5.1.1"));
        assertThat(Ip4Net.parse("0.0.0.0/0").contains(Ip4.parse("8.8.8.8"))).isTrue();
        assertThat(Ip4Net.parse("10.1.2.3")).isEqualTo(new Ip4Net(Ip4.parse("10.1.2.3"), 32));
    }

    @Test
    void subnetKeysRoundTrip() {
        Ip4Net net = Ip4Net.parse("10.5.72.0/24");
        assertThat(net.toKey()).isEqualTo("10.5.72.0-24");
        assertThat(Ip4Net.parseKey("10.5.72.0-24")).isEqualTo(net);
    }

    @Test
    void rejectsHostBitsInNetworks() {
        assertThatThrownBy(() -> Ip4Net.parse("10.5.1.1/24"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("did you mean 10.5.1.0/24");
        assertThatThrownBy(() -> Ip4Net.parse("10.5.1.0/33")).hasMessageContaining("0-32");
        assertThatThrownBy(() -> Ip4Net.parse("10.5.1.0/")).hasMessageContaining("prefix");
    }

    @Test
    void hostAddressKeepsHostBits() {
        Ip4Net.HostAddress a = Ip4Net.parseHost("192.168.50.1/24");
        assertThat(a.ip()).isEqualTo(Ip4.parse("192.168.50.1"));
        assertThat(a.network()).isEqualTo(Ip4Net.parse("192.168.50.0/24"));
        assertThat(a.toString()).isEqualTo("192.168.50.1/24");
    }

    @Test
    void macAddresses() {
        MacAddress mac = MacAddress.parse("0e:1f:aa:00:ff:01");
        assertThat(mac.toString()).isEqualTo("0e:1f:aa:00:ff:01");
        assertThat(mac).isEqualTo(MacAddress.parse("0E:1F:AA:00:FF:01"));
        MacAddress random = MacAddress.randomLocal();
        assertThat(random.bytes()[0] & 0x02).as("locally administered").isEqualTo(2);
        assertThat(random.bytes()[0] & 0x01).as("unicast").isZero();
        assertThatThrownBy(() -> MacAddress.parse("0e:1f:aa:00:ff")).hasMessageContaining("MAC");
        assertThatThrownBy(() -> MacAddress.parse("zz:1f:aa:00:ff:01")).hasMessageContaining("MAC");
    }
}
