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

    @Test
    void aMissingIptablesIsReportedAtTheFirstEnsureNotWhenTheManagerIsMade() {
        OverlayFirewall f = new OverlayFirewall(new Iptables(java.util.List.of("/nonexistent/iptables-wrapper")), true, false);
        assertThat(f.isEnabled()).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.ensure(RuleScope.ipv4(io.javaoverlay.core.net.Ip4Net.parse("10.5.0.0/16"),
                io.javaoverlay.core.net.Ip4Net.parse("10.5.1.0/24")))).isInstanceOf(java.io.UncheckedIOException.class);
    }

    @Test
    void cleaningUpWithoutIptablesIsNotAnError() {
        new OverlayFirewall(new Iptables(java.util.List.of("/nonexistent/iptables-wrapper")), false, false).cleanUp();
        new NftablesFirewall(new Nft(java.util.List.of("/nonexistent/nft-wrapper")), false, false).cleanUp();
    }

    @Test
    void withoutNftTheNftablesManagerFailsWithATypedErrorThatSaysWhatToInstall() {
        NftablesFirewall f = new NftablesFirewall(new Nft(java.util.List.of("/nonexistent/nft-wrapper")), true, true);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.ensure(RuleScope.ipv4(io.javaoverlay.core.net.Ip4Net.parse("10.5.0.0/16"),
                io.javaoverlay.core.net.Ip4Net.parse("10.5.1.0/24"))))
                .isInstanceOf(NftablesException.class).hasMessageContaining("apt-get install nftables")
                .satisfies(e -> assertThat(((NftablesException) e).exitStatus()).isEqualTo(NftablesException.NOT_RUN));
    }
}
