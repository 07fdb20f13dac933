package io.javaoverlay.core.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.netlink.NetNs;
import io.javaoverlay.core.netlink.Sysctl;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/** The host settings every kernel backend makes at registration, in a namespace of the test's own. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostNetworkingIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    @Test
    void anIpv6OnlyNetworkLeavesIpv4ForwardingOffWhileANetworkWithIpv4TurnsItOn() {
        TestNamespace host = net.createNamespace("fwd");
        host.execOk("sysctl", "-qw", "net.ipv4.ip_forward=0");
        NetworkConfig ipv6Only = NetworkConfig.parse(
                "{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"host-gw\"}}");
        NetworkConfig dualStack = NetworkConfig.parse(
                "{\"Network\":\"10.244.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fd00:10:244::/56\",\"Backend\":{\"Type\":\"host-gw\"}}");
        try (NetNs ns = host.open()) {
            ns.run(() -> HostNetworking.enableForwarding(ipv6Only));
            assertThat(Sysctl.get(ns, "net/ipv4/ip_forward")).as("an IPv6-only network routes nothing IPv4").isEqualTo("0");

            ns.run(() -> HostNetworking.enableForwarding(dualStack));
            assertThat(Sysctl.get(ns, "net/ipv4/ip_forward")).isEqualTo("1");
        }
    }
}
