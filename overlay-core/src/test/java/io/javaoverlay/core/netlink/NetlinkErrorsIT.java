package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestNetwork;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Kernel errors become typed exceptions with errno, operation and a readable message. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetlinkErrorsIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    static NetlinkSocket nl;

    @BeforeAll
    static void open() {
        try (NetNs h = net.createNamespace("errors").open()) {
            nl = NetlinkSocket.open(h);
        }
    }

    @AfterAll
    static void close() {
        nl.close();
    }

    @Test
    void duplicateCreateIsExists() {
        nl.links().createBridge("br-x");
        assertThatThrownBy(() -> nl.links().createBridge("br-x"))
                .isInstanceOf(NetlinkException.Exists.class)
                .hasMessage("RTM_NEWLINK failed: File exists (EEXIST) [link \"br-x\" (bridge)]")
                .satisfies(e -> {
                    NetlinkException n = (NetlinkException) e;
                    assertThat(n.errno()).isEqualTo(Errno.EEXIST);
                    assertThat(n.operation()).isEqualTo("RTM_NEWLINK");
                });
    }

    @Test
    void deleteOfMissingLinkIsNotFound() {
        assertThatThrownBy(() -> nl.links().delete("gone0"))
                .isInstanceOf(NetlinkException.NotFound.class)
                .hasMessage("RTM_DELLINK failed: No such device (ENODEV) [link \"gone0\"]")
                .satisfies(e -> assertThat(((NetlinkException) e).errno()).isEqualTo(Errno.ENODEV));
        assertThatThrownBy(() -> nl.links().delete(987_654)).isInstanceOf(NetlinkException.NotFound.class);
        assertThatThrownBy(() -> nl.links().setUp(987_654)).isInstanceOf(NetlinkException.NotFound.class);
    }

    @Test
    void invalidRequestCarriesTheKernelsExplanation() {
        Link br = nl.links().createBridge("br-inv");
        // a route via a gateway on no local subnet, without onlink: EINVAL or ENETUNREACH with an extended ACK
        assertThatThrownBy(() -> nl.routes().add(io.javaoverlay.core.netlink.Route.ip4(
                io.javaoverlay.core.net.Ip4Net.parse("10.80.0.0/24")).via(Ip4.parse("10.81.0.1")).device(br)))
                .isInstanceOf(NetlinkException.class)
                .isNotInstanceOfAny(NetlinkException.Exists.class, NetlinkException.NotFound.class)
                .hasMessageStartingWith("RTM_NEWROUTE failed: ")
                .hasMessageContaining("kernel says");
        assertThatThrownBy(() -> nl.links().create(new NewLink("x0", "no-such-kind", 0, null, null, null)))
                .isInstanceOf(NetlinkException.class)
                .hasMessageContaining("(EOPNOTSUPP)")
                .hasMessageContaining("kernel says \"Unknown device type\"");
    }

    @Test
    void closedSocketIsRefusedAndCloseIsIdempotent() {
        NetlinkSocket s = NetlinkSocket.open();
        s.close();
        s.close();
        assertThatThrownBy(() -> s.links().list()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void namesTheKernelWouldRefuseAreRejectedBeforeSending() {
        assertThatThrownBy(() -> nl.links().createBridge("a-name-longer-than-15"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than 15");
        assertThatThrownBy(() -> nl.links().createBridge("bad/name")).isInstanceOf(IllegalArgumentException.class);
    }
}
