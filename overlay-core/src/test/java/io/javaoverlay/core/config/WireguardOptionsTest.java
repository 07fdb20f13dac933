package io.javaoverlay.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.javaoverlay.core.net.WireguardKey;

/** flannel's wireguard keys (pkg/backend/wireguard/wireguard.go, v0.28) as the network config carries them. */
class WireguardOptionsTest {

    static final String PSK = "hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=";

    static NetworkConfig parse(String backend) {
        return NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":" + backend + "}");
    }

    @Test
    void flannelsDefaults() {
        NetworkConfig c = parse("{\"Type\":\"wireguard\"}");
        assertThat(c.backendType()).isEqualTo(BackendType.WIREGUARD);
        assertThat(c.backend().wireguard()).isEqualTo(new WireguardOptions(51820, 51821, OptionalInt.empty(), Optional.empty(),
                Duration.ZERO, WireguardOptions.Mode.SEPARATE));
        assertThat(BackendType.parse("WireGuard")).isEqualTo(BackendType.WIREGUARD);
    }

    @Test
    void everyKeyAsFlannelSpellsItAndCaseInsensitivelyAsGoReadsIt() {
        WireguardOptions o = parse("{\"Type\":\"wireguard\",\"PSK\":\"" + PSK + "\",\"ListenPort\":51000,\"listenportv6\":51001,"
                + "\"MTU\":9000,\"PersistentKeepaliveInterval\":25,\"Mode\":\"ipv4\"}").backend().wireguard();
        assertThat(o.listenPort()).isEqualTo(51000);
        assertThat(o.listenPortV6()).isEqualTo(51001);
        assertThat(o.mtu()).hasValue(9000);
        assertThat(o.psk()).contains(WireguardKey.parse(PSK));
        assertThat(o.persistentKeepalive()).isEqualTo(Duration.ofSeconds(25));
        assertThat(o.mode()).isEqualTo(WireguardOptions.Mode.IPV4);
        assertThat(parse("{\"Type\":\"wireguard\",\"Mode\":\"auto\"}").backend().wireguard().mode()).isEqualTo(WireguardOptions.Mode.AUTO);
        assertThat(parse("{\"Type\":\"wireguard\",\"Mode\":\"ipv6\"}").backend().wireguard().mode()).as("refused without EnableIPv6 by the agent")
                .isEqualTo(WireguardOptions.Mode.IPV6);
        assertThat(parse("{\"Type\":\"wireguard\",\"PSK\":\"\"}").backend().wireguard().psk()).as("flannel: empty PSK is none").isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"Type\":\"wireguard\",\"Mode\":\"IPv4\"}|must be written in lower case, as flannel compares it: \"ipv4\"",
        "{\"Type\":\"wireguard\",\"Mode\":\"both\"}|Backend.Mode \"both\" is not one of flannel's wireguard modes: separate, auto, ipv4, ipv6",
        "{\"Type\":\"wireguard\",\"PSK\":\"secret\"}|Backend.PSK is not a WireGuard key",
        "{\"Type\":\"wireguard\",\"ListenPort\":0}|Backend.ListenPort must be 1-65535, got 0",
        "{\"Type\":\"wireguard\",\"ListenPort\":70000}|Backend.ListenPort must be 1-65535",
        "{\"Type\":\"wireguard\",\"PersistentKeepaliveInterval\":\"25s\"}|Backend.PersistentKeepaliveInterval must be a whole number",
        "{\"Type\":\"wireguard\",\"PersistentKeepaliveInterval\":70000}|Backend.PersistentKeepaliveInterval must be 0-65535",
        "{\"Type\":\"wireguard\",\"MTU\":100}|Backend.MTU must be 148-65535",
    })
    void badValuesAreConfigErrorsThatSayWhatToWrite(String backend, String message) {
        assertThatThrownBy(() -> parse(backend)).isInstanceOf(NetworkConfigException.class).hasMessageContaining(message);
    }

    @Test
    void otherBackendsDoNotReadTheWireguardKeys() {
        assertThat(parse("{\"Type\":\"vxlan\",\"Mode\":\"ipv6\"}").backendType()).isEqualTo(BackendType.VXLAN);
    }
}
