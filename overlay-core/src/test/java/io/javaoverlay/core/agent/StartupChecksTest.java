package io.javaoverlay.core.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.config.NetworkConfig;

/** flanneld's br_netfilter check, against a stand-in for /proc/sys/net/bridge (tests never load kernel modules). */
class StartupChecksTest {

    static final NetworkConfig V4 = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final NetworkConfig DUAL = NetworkConfig.parse(
            "{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00::/48\",\"Backend\":{\"Type\":\"vxlan\"}}");

    @TempDir
    Path bridge;

    @Test
    void withBrNetfilterLoadedTheAgentMayStart() throws Exception {
        Files.writeString(bridge.resolve("bridge-nf-call-iptables"), "1\n");
        StartupChecks checks = new StartupChecks(bridge);
        assertThat(checks.check(V4)).isEmpty();
        assertThat(checks.passed(V4)).isTrue();
    }

    @Test
    void withoutItTheAgentRefusesAndSaysHowToLoadIt() {
        StartupChecks checks = new StartupChecks(bridge.resolve("absent"));
        assertThat(checks.check(V4)).singleElement().satisfies(f -> {
            assertThat(f.check()).isEqualTo(StartupChecks.Check.BR_NETFILTER_IPV4);
            assertThat(f.missing()).isEqualTo(bridge.resolve("absent/bridge-nf-call-iptables"));
            assertThat(f.message()).contains(f.missing().toString(), "br_netfilter", "modprobe br_netfilter",
                    "/etc/modules-load.d/");
        });
        assertThat(checks.passed(V4)).isFalse();
    }

    @Test
    void withNftablesTheModuleIsNotNeededAsWithFlanneld() {
        NetworkConfig nft = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableNFTables\":true,\"Backend\":{\"Type\":\"vxlan\"}}");
        assertThat(new StartupChecks(bridge.resolve("absent")).check(nft)).isEmpty();
        assertThat(new StartupChecks(bridge.resolve("absent")).check(V4)).isNotEmpty();
    }

    @Test
    void ipv6IsCheckedOnlyWhenEnabled() throws Exception {
        Files.writeString(bridge.resolve("bridge-nf-call-iptables"), "1\n");
        StartupChecks checks = new StartupChecks(bridge);
        assertThat(checks.check(V4)).isEmpty();
        assertThat(checks.check(DUAL)).extracting(StartupChecks.Failure::check).containsExactly(StartupChecks.Check.BR_NETFILTER_IPV6);
        Files.writeString(bridge.resolve("bridge-nf-call-ip6tables"), "1\n");
        assertThat(checks.check(DUAL)).isEmpty();
    }

    @Test
    void thisHostsCheckLooksAtProc() {
        // the agent ITs run on hosts with br_netfilter loaded; a machine without it must fail them loudly here
        assertThat(StartupChecks.ofThisHost().check(V4))
                .as("br_netfilter must be loaded on the test machine (modprobe br_netfilter), as flanneld requires")
                .isEmpty();
    }
}
