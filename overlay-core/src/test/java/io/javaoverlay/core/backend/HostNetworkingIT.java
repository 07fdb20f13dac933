package io.javaoverlay.core.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.netlink.NamespaceFixture;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.Sysctl;

/** The host settings every kernel backend makes at registration, in a namespace of the test's own. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostNetworkingIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("fwd");

    @Test
    void anIpv6OnlyNetworkLeavesIpv4ForwardingOffWhileANetworkWithIpv4TurnsItOn() {
        host.ns().execOk("sysctl", "-qw", "net.ipv4.ip_forward=0");
        NetworkConfig ipv6Only = NetworkConfig.parse(
                "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"host-gw\"}}");
        NetworkConfig dualStack = NetworkConfig.parse(
                "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"host-gw\"}}");
        NetNs ns = host.handle();
        ns.run(() -> HostNetworking.enableForwarding(ipv6Only));
        assertThat(Sysctl.get(ns, "net/ipv4/ip_forward")).as("an IPv6-only network routes nothing IPv4").isEqualTo("0");

        ns.run(() -> HostNetworking.enableForwarding(dualStack));
        assertThat(Sysctl.get(ns, "net/ipv4/ip_forward")).isEqualTo("1");
    }
}
