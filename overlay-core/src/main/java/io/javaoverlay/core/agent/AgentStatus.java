package io.javaoverlay.core.agent;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.backend.PeerAdmission;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * What {@code GET /status} answers: whether the agent is ready (and why not), this host's lease
 * and backend, and how many peers it knows. {@code javaoverlay status} reads it next to
 * {@code /peers}.
 *
 * <pre>
 * {"Ready": true, "Lease": {"Subnet": "10.244.5.0/24", "PublicIP": "192.168.1.7", "BackendType": "vxlan",
 *  "Expiration": "2026-11-27T09:10:50Z", "MTU": 1450}, "Peers": 2,
 *  "Rejected": [{"Key": "192.168.1.0-24", "PublicIP": "192.168.1.9", "Reason": "outside-network",
 *                "Detail": "subnet 192.168.1.0/24 is outside Network 10.244.0.0/16"}]}
 * </pre>
 *
 * An IPv6-only lease ({@code EnableIPv4: false}) has {@code IPv6Subnet} and {@code PublicIPv6} and no
 * {@code Subnet} or {@code PublicIP}; so has a rejected one.
 *
 * <p>{@code Rejected} lists the other hosts' leases the agent refused to program ({@link PeerAdmission});
 * {@code StoreEvents} what it did lately about the store ({@link StoreEvents}: its lease put back,
 * the store's history changed, a VTEP MAC collision).
 */
final class AgentStatus {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AgentStatus() {}

    /**
     * This host's part of the status, once it holds a lease.
     *
     * @param subnet   the IPv4 subnet; empty, with {@code publicIp}, for an IPv6-only lease
     * @param publicIp this host's PublicIP; empty for an IPv6-only lease
     */
    record Own(Optional<Ip4Net> subnet, Optional<Ip4> publicIp, String backend, Optional<Instant> expiration, int mtu,
               Optional<Ip6Net> ipv6Subnet, Optional<String> publicIpv6) {
        Own(Ip4Net subnet, Ip4 publicIp, String backend, Optional<Instant> expiration, int mtu) {
            this(Optional.of(subnet), Optional.of(publicIp), backend, expiration, mtu, Optional.empty(), Optional.empty());
        }

        Own withExpiration(Optional<Instant> e) {
            return new Own(subnet, publicIp, backend, e, mtu, ipv6Subnet, publicIpv6);
        }
    }

    static String json(String notReady, Own own, int peers, List<PeerAdmission.Rejected> rejected, List<StoreEvents.Entry> events) {
        ObjectNode n = JSON.createObjectNode();
        n.put("Ready", notReady == null);
        if (notReady != null) {
            n.put("Reason", notReady);
        }
        if (own != null) {
            ObjectNode l = n.putObject("Lease");
            own.subnet().ifPresent(v4 -> l.put("Subnet", v4.toString())); // none for an IPv6-only lease
            own.publicIp().ifPresent(ip -> l.put("PublicIP", ip.toString()));
            own.ipv6Subnet().ifPresent(v6 -> l.put("IPv6Subnet", v6.toString()));
            own.publicIpv6().ifPresent(v6 -> l.put("PublicIPv6", v6));
            l.put("BackendType", own.backend());
            own.expiration().ifPresentOrElse(e -> l.put("Expiration", e.toString()), () -> l.putNull("Expiration"));
            l.put("MTU", own.mtu());
        }
        n.put("Peers", peers);
        ArrayNode r = n.putArray("Rejected");
        for (PeerAdmission.Rejected x : rejected) {
            ObjectNode o = r.addObject();
            o.put("Key", x.lease().keyName());
            if (x.lease().isIpv6Only()) {
                o.put("PublicIPv6", x.lease().attrs().publicIpv6().orElse(""));
            } else {
                o.put("PublicIP", x.lease().attrs().publicIp().toString());
            }
            o.put("Reason", x.why().reason().label());
            o.put("Detail", x.why().detail());
        }
        ArrayNode e = n.putArray("StoreEvents");
        for (StoreEvents.Entry x : events) {
            e.addObject().put("Time", x.time().toString()).put("Event", x.event());
        }
        return n.toString();
    }
}
