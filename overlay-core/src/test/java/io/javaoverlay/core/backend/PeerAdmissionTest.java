package io.javaoverlay.core.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.netlink.Route;

/**
 * The checks every lease passes before a backend sees it, on a host with the underlay
 * 192.168.213.0/24 (address .2), a bridge on its own subnet, and an operator's route.
 */
class PeerAdmissionTest {

    static final NetworkConfig CONFIG = NetworkConfig.parse("{\"Network\":\"10.244.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}");
    static final Ip4Net OWN = Ip4Net.parse("10.244.162.0/24");
    static final Ip4 OWN_IP = Ip4.parse("192.168.213.2");

    /** A backend whose leases claim the BackendData's "Key" (as vxlan claims its VtepMAC) and that owns routes on link 99. */
    static final class FakeBackend extends AdmissionOnlyBackend {
        @Override
        public Optional<PeerRejection> checkPeer(Lease peer) {
            return peer.attrs().backendType().filter("vxlan"::equals).isPresent() ? Optional.empty()
                    : Optional.of(new PeerRejection(PeerRejection.Reason.BACKEND_TYPE, "not vxlan"));
        }

        @Override
        public List<PeerClaim> claims(Lease peer) {
            return peer.attrs().backendData().map(d -> d.path("Key").asText())
                    .map(k -> List.of(new PeerClaim(PeerRejection.Reason.VTEP_MAC_IN_USE, "VtepMAC " + k, peer.attrs().publicIp())))
                    .orElse(List.of());
        }

        @Override
        public boolean ownsRoute(Route route) {
            return route.outputIndex() == 99;
        }
    }

    static Lease lease(String subnet, String publicIp) {
        return lease(subnet, publicIp, "m1");
    }

    static Lease lease(String subnet, String publicIp, String key) {
        var data = JsonNodeFactory.instance.objectNode().put("Key", key);
        return new Lease(Ip4Net.parse(subnet), Optional.empty(), LeaseAttrs.of(Ip4.parse(publicIp), Optional.of("vxlan"), Optional.of(data)),
                false, Optional.empty(), 1);
    }

    static HostView host(Route... extra) {
        List<Route> routes = new java.util.ArrayList<>(List.of(
                Route.defaultIp4().via(Ip4.parse("192.168.213.1")).device(2),
                connected("192.168.213.0/24", 2),
                connected("10.244.162.0/24", 3), // the bridge on this host's own subnet
                Route.ip4(Ip4Net.parse("10.0.0.0/8")).via(Ip4.parse("192.168.213.1")).device(2), // wider than Network: harmless
                connected("10.244.0.0/16", 99).withProtocol(Route.PROTOCOL_BOOT))); // the backend's own (udp's whole-network route)
        routes.addAll(List.of(extra));
        return new HostView(List.of(Ip4Net.parseHost("192.168.213.2/24"), Ip4Net.parseHost("10.244.162.1/24"),
                Ip4Net.parseHost("127.0.0.1/8")), routes);
    }

    static Route connected(String net, int dev) {
        return Route.ip4(Ip4Net.parse(net)).device(dev).withProtocol(Route.PROTOCOL_KERNEL);
    }

    static PeerAdmission admission() {
        return new PeerAdmission(CONFIG, OWN, OWN_IP, new FakeBackend(), true, new OverlayMetrics());
    }

    static List<LeaseEvent> added(Lease... leases) {
        return java.util.Arrays.stream(leases).<LeaseEvent>map(LeaseEvent.Added::new).toList();
    }

    @Test
    void aGoodLeasePassesAsItIs() {
        Lease l = lease("10.244.5.0/24", "192.168.213.5");
        assertThat(admission().admit(added(l), host())).containsExactly(new LeaseEvent.Added(l));
    }

    @ParameterizedTest(name = "{0} at {1} -> {2}")
    @CsvSource({
        "192.168.213.0/24, 192.168.213.5, outside-network",
        "128.0.0.0/1,      192.168.213.5, wrong-prefix-length",
        "0.0.0.0/0,        192.168.213.5, wrong-prefix-length",
        "10.244.162.5/32,  192.168.213.5, wrong-prefix-length",
        "10.244.5.128/25,  192.168.213.5, wrong-prefix-length",
        "10.244.162.0/24,  192.168.213.5, overlaps-own-subnet",
        "10.244.5.0/24,    0.0.0.0,       bad-public-ip",
        "10.244.5.0/24,    127.0.0.1,     bad-public-ip",
        "10.244.5.0/24,    224.0.0.5,     bad-public-ip",
        "10.244.5.0/24,    255.255.255.255, bad-public-ip",
        "10.244.5.0/24,    192.168.213.255, bad-public-ip",
        "10.244.5.0/24,    192.168.213.0, bad-public-ip",
        "10.244.5.0/24,    10.244.7.7,    bad-public-ip",
        "10.244.5.0/24,    192.168.213.2, own-public-ip",
        "10.244.5.0/24,    10.244.162.1,  bad-public-ip",
    })
    void rejectsWhatWouldHijackTheHost(String subnet, String publicIp, String reason) {
        PeerAdmission a = admission();
        assertThat(a.admit(added(lease(subnet, publicIp)), host())).isEmpty();
        assertThat(a.rejected()).singleElement().satisfies(r -> assertThat(r.why().reason().label()).isEqualTo(reason));
    }

    @Test
    void aSubnetOverAHostRouteInsideTheNetworkIsRejected() {
        // the underlay inside the Network, and an operator's route to a /25 of a peer's subnet
        PeerAdmission a = admission();
        HostView h = host(connected("10.244.200.0/24", 2), Route.ip4(Ip4Net.parse("10.244.6.128/25")).via(OWN_IP).device(2));
        assertThat(a.admit(added(lease("10.244.200.0/24", "192.168.213.5"), lease("10.244.6.0/24", "192.168.213.6"),
                lease("10.244.7.0/24", "192.168.213.7")), h)).extracting(LeaseEvent::lease).extracting(Lease::keyName)
                .containsExactly("10.244.7.0-24");
        assertThat(a.rejected()).extracting(r -> r.why().reason().label()).containsExactly("overlaps-host-route", "overlaps-host-route");
    }

    @Test
    void aRouteOfTheFlannelShapeForThatPeerIsNotInTheWay() {
        // left by flanneld or an earlier run: 10.244.8.0/24 via the peer's public IP, unmarked
        HostView h = host(Route.ip4(Ip4Net.parse("10.244.8.0/24")).via(Ip4.parse("192.168.213.8")).device(2));
        assertThat(admission().admit(added(lease("10.244.8.0/24", "192.168.213.8")), h)).hasSize(1);
        assertThat(admission().admit(added(lease("10.244.8.0/24", "192.168.213.9")), h)).isEmpty();
    }

    @Test
    void oneBadLeaseDoesNotHoldUpTheOthersAndAProgrammedLeaseThatTurnsBadIsWithdrawn() {
        PeerAdmission a = admission();
        Lease good = lease("10.244.5.0/24", "192.168.213.5");
        Lease other = lease("10.244.6.0/24", "192.168.213.6", "m2");
        assertThat(a.admit(added(good, lease("10.244.9.0/24", "0.0.0.0", "m3"), other), host())).hasSize(2);
        Lease bad = lease("10.244.5.0/24", "127.0.0.1");
        assertThat(a.admit(List.of(new LeaseEvent.Changed(good, bad)), host())).containsExactly(new LeaseEvent.Removed(good));
        assertThat(a.accepted()).containsOnlyKeys(other.subnet());
        assertThat(a.admit(List.of(new LeaseEvent.Removed(bad)), host())).isEmpty();
        assertThat(a.rejected()).extracting(r -> r.lease().keyName()).containsExactly("10.244.9.0-24");
    }

    @Test
    void aClaimIsKeptByTheFirstAndPassesToTheNextWhenItGoes() {
        PeerAdmission a = admission();
        Lease first = lease("10.244.5.0/24", "192.168.213.5", "shared");
        Lease sameMachine = lease("10.244.6.0/24", "192.168.213.5", "shared");
        Lease thief = lease("10.244.7.0/24", "192.168.213.7", "shared");
        assertThat(a.admit(added(first, sameMachine, thief), host())).extracting(LeaseEvent::lease).containsExactly(first, sameMachine);
        assertThat(a.rejected()).singleElement().satisfies(r -> assertThat(r.why().reason().label()).isEqualTo("vtep-mac-in-use"));
        assertThat(a.admit(List.of(new LeaseEvent.Removed(first)), host())).containsExactly(new LeaseEvent.Removed(first));
        assertThat(a.admit(List.of(new LeaseEvent.Removed(sameMachine)), host()))
                .containsExactly(new LeaseEvent.Removed(sameMachine), new LeaseEvent.Added(thief));
        assertThat(a.rejected()).isEmpty();
    }

    @Test
    void aRouteAddedLaterWithdrawsThePeerAndItComesBackWhenTheRouteGoes() {
        PeerAdmission a = admission();
        Lease l = lease("10.244.5.0/24", "192.168.213.5");
        a.admit(added(l), host());
        assertThat(a.reconsider(host())).isEmpty();
        assertThat(a.reconsider(host(connected("10.244.5.0/24", 7)))).containsExactly(new LeaseEvent.Removed(l));
        assertThat(a.reconsider(host())).containsExactly(new LeaseEvent.Added(l));
    }

    @Test
    void theBackendHasTheLastWordOnItsData() {
        PeerAdmission a = admission();
        Lease udp = new Lease(Ip4Net.parse("10.244.5.0/24"), Optional.empty(), LeaseAttrs.of(Ip4.parse("192.168.213.5"),
                Optional.empty(), Optional.empty()), false, Optional.empty(), 1);
        assertThat(a.admit(added(udp), host())).isEmpty();
        assertThat(a.rejected()).singleElement().satisfies(r -> assertThat(r.why().reason().label()).isEqualTo("backend-type"));
    }

    @Test
    void withoutADataPathOnlyTheSubnetIsChecked() {
        PeerAdmission a = new PeerAdmission(CONFIG, OWN, OWN_IP, new FakeBackend(), false, new OverlayMetrics());
        assertThat(a.admit(added(lease("10.244.5.0/24", "127.0.0.5"), lease("10.244.6.0/25", "127.0.0.6")), HostView.none())).hasSize(1);
    }
}
