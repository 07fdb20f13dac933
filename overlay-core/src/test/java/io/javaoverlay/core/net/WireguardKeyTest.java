package io.javaoverlay.core.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HexFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WireguardKeyTest {

    /** RFC 7748, section 6.1: Alice's private key and the public key X25519 gives it. */
    @Test
    void thePublicKeyIsX25519OfTheBasePointAsInRfc7748() {
        WireguardKey alice = new WireguardKey(HexFormat.of().parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        assertThat(HexFormat.of().formatHex(alice.publicKey().bytes()))
                .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    }

    @Test
    void aKeyIsBase64Of32BytesBothWays() {
        String text = "hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=";
        WireguardKey k = WireguardKey.parse(text);
        assertThat(k.toString()).isEqualTo(text);
        assertThat(k).isEqualTo(WireguardKey.parse(text)).hasSameHashCodeAs(WireguardKey.parse(text));
    }

    @Test
    void aGeneratedPrivateKeyIsClampedAsWgGenkeyMakesThem() {
        for (int i = 0; i < 20; i++) {
            byte[] b = WireguardKey.generatePrivate().bytes();
            assertThat(b[0] & 7).isZero();
            assertThat(b[31] & 0x80).isZero();
            assertThat(b[31] & 0x40).isEqualTo(0x40);
        }
        assertThat(WireguardKey.generatePrivate()).isNotEqualTo(WireguardKey.generatePrivate());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8", "hB-gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL_3mW6g8=",
        " hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g=", "hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=="})
    void anythingElseIsRefused(String text) {
        assertThatThrownBy(() -> WireguardKey.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a WireGuard key");
    }

    @Test
    void thirtyThreeBytesAreRefusedEvenAsValidBase64() {
        String text = Base64.getEncoder().encodeToString(new byte[33]);
        assertThatThrownBy(() -> WireguardKey.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
