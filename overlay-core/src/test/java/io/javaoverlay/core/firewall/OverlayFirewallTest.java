package io.javaoverlay.core.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OverlayFirewallTest {

    @Test
    void randomFullyIsUsedFromIptables162On() {
        assertThat(OverlayFirewall.supportsRandomFully("iptables v1.8.9 (nf_tables)")).isTrue();
        assertThat(OverlayFirewall.supportsRandomFully("iptables v1.6.2")).isTrue();
        assertThat(OverlayFirewall.supportsRandomFully("iptables v1.6.1")).isFalse();
        assertThat(OverlayFirewall.supportsRandomFully("iptables v1.4.21")).isFalse();
        assertThat(OverlayFirewall.supportsRandomFully("not iptables")).isFalse();
    }

    @Test
    void withBothSwitchesOffNothingIsInstalledAndIptablesIsNotEvenAsked() {
        Iptables absent = new Iptables(java.util.List.of("/nonexistent/iptables-wrapper"));
        OverlayFirewall f = new OverlayFirewall(absent, false, false);
        assertThat(f.isEnabled()).isFalse();
        assertThat(f.toString()).isEqualTo("no ip-masq, no forward rules");
    }
}
