package io.javaoverlay.core.backend.wireguard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.WireguardKey;

/** {@code wg show <dev> dump} as wireguard-tools 1.0.20210914 prints it. */
class WgDumpTest {

    static final String DUMP = "YAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\tTrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=\t51820\toff\n"
            + "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\tFpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=\t192.168.1.9:51820\t10.244.9.0/24\t"
            + "1764850000\t4868\t5204\toff\n"
            + "hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=\t(none)\t(none)\t(none)\t0\t0\t0\t25\n";

    @Test
    void interfaceAndPeersWithHandshakeAndBytes() {
        WgDump d = WgDump.parse(DUMP);
        assertThat(d.publicKey()).isEqualTo(WireguardKey.parse("TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="));
        assertThat(d.listenPort()).isEqualTo(51820);
        assertThat(d.peers()).hasSize(2);
        WgDump.Peer p = d.peers().get(0);
        assertThat(p.publicKey()).isEqualTo(WireguardKey.parse("xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="));
        assertThat(p.endpoint()).contains("192.168.1.9:51820");
        assertThat(p.allowedIps()).containsExactly("10.244.9.0/24");
        assertThat(p.latestHandshake()).contains(Instant.ofEpochSecond(1764850000));
        assertThat(p.rxBytes()).isEqualTo(4868);
        assertThat(p.txBytes()).isEqualTo(5204);
        WgDump.Peer none = d.peers().get(1);
        assertThat(none.endpoint()).isEmpty();
        assertThat(none.allowedIps()).isEmpty();
        assertThat(none.latestHandshake()).as("0: no handshake yet").isEqualTo(Optional.empty());
        assertThat(WgDump.parse(DUMP.lines().findFirst().orElseThrow()).peers()).isEqualTo(List.of());
    }

    @Test
    void somethingElseIsAnError() {
        assertThatThrownBy(() -> WgDump.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> WgDump.parse("a\tb\n")).isInstanceOf(IllegalArgumentException.class);
    }
}
