package io.javaoverlay.core.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseEvent;
import io.javaoverlay.core.lease.LeaseId;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip4Ranges;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.netlink.Route;

/**
 * The trust boundary between the lease store and the data path: every other host's lease is
 * checked here before a backend sees it, and only leases that pass reach the kernel.
 *
 * <p>Whoever can write to the store can write any key and value, so a lease is taken as a claim,
 * not a fact. It passes when its subnet is a SubnetLen subnet of Network that does not overlap
 * this host's lease or a route this host has that javaoverlay did not make; its PublicIP is a
 * unicast address that is not this host's own, not inside the overlay, and not the network or
 * broadcast address of a network this host is on; the IPv6 half of a dual-stack lease passes the
 * same checks ({@link Ipv6PeerCheck}); it has the halves this network runs (an IPv6-only lease
 * in a network with IPv4 has nothing to route IPv4 to: {@code no-ipv4-subnet}; a lease without an
 * IPv6 half in an IPv6-only network: {@code no-ipv6-subnet}); and the backend accepts its data
 * ({@link Backend#checkPeer}) and its claims ({@link Backend#claims}). A lease that fails is
 * logged once per change with its key and reason, counted on
 * {@code javaoverlay_leases_rejected_total{reason}}, listed by {@code status}, and touches nothing;
 * a lease that was programmed and turns bad is withdrawn. One bad lease never holds up the others.
 *
 * <p>Leases are checked again on every recheck ({@link #reconsider}): a route an operator added
 * since can make a lease bad, and a rejected lease can become good (the peer that held its VTEP
 * MAC went away).
 *
 * <p>In an IPv6-only network ({@code EnableIPv4: false}) only the IPv6 half of a lease is
 * considered: a dual-stack lease is passed on as its {@link Lease#ipv6Half IPv6 half}, so no IPv4
 * subnet, public IP or backend data of it ever reaches a backend. Every lease a backend gets
 * therefore has the halves its network runs, and no other.
 *
 * <p>An agent that programs nothing ({@code --no-data-path}) checks only the subnet: nothing it
 * does reaches the kernel, and its tests run many hosts on loopback addresses.
 *
 * <p>Not thread-safe: the agent's event loop calls it; {@link #rejected()} is a snapshot any
 * thread may read.
 */
public final class PeerAdmission {

    private static final Logger LOG = LoggerFactory.getLogger(PeerAdmission.class);

    /** A lease that is not programmed, and why. */
    public record Rejected(Lease lease, PeerRejection why) {}

    /** Where a refused lease is counted ({@code javaoverlay_leases_rejected_total}). */
    private final OverlayMetrics metrics;
    private final NetworkConfig config;
    /** This host's IPv4 subnet; empty in an IPv6-only network. */
    private final Optional<Ip4Net> own;
    private final Ip4 ownPublicIp;
    private final Backend backend;
    private final boolean dataPath;
    private final Ipv6PeerCheck ipv6;
    private final Map<LeaseId, Lease> accepted = new HashMap<>();
    private final Map<LeaseId, Rejected> rejected = new TreeMap<>();
    /** Claim key -> the subnets holding it (all with one holder value). */
    private final Map<Object, Holders> claims = new HashMap<>();
    private volatile List<Rejected> rejectedSnapshot = List.of();

    private record Holders(Object holder, Set<LeaseId> subnets) {}

    /**
     * @param own         this host's lease
     * @param ownPublicIp what this host publishes (with {@code --public-ip} not one of its addresses)
     * @param dataPath    false for an agent that programs nothing: only the subnet is checked
     */
    public PeerAdmission(NetworkConfig config, Ip4Net own, Ip4 ownPublicIp, Backend backend, boolean dataPath, OverlayMetrics metrics) {
        this(config, own, ownPublicIp, Optional.empty(), Optional.empty(), backend, dataPath, metrics);
    }

    /**
     * With the IPv6 half of this host's dual-stack lease: the IPv6 halves of the others are then
     * checked too ({@link Ipv6PeerCheck}).
     */
    public PeerAdmission(NetworkConfig config, Ip4Net own, Ip4 ownPublicIp, Optional<Ip6Net> own6, Optional<String> ownPublicIpv6,
                         Backend backend, boolean dataPath, OverlayMetrics metrics) {
        this(config, Optional.of(own), ownPublicIp, own6, ownPublicIpv6, backend, dataPath, metrics);
    }

    private PeerAdmission(NetworkConfig config, Optional<Ip4Net> own, Ip4 ownPublicIp, Optional<Ip6Net> own6,
                          Optional<String> ownPublicIpv6, Backend backend, boolean dataPath, OverlayMetrics metrics) {
        if (config.enableIPv4() != own.isPresent()) {
            throw new IllegalArgumentException(config.enableIPv4() ? "this host's IPv4 subnet is required with EnableIPv4"
                    : "an IPv6-only network (EnableIPv4: false) has no IPv4 subnet of this host's");
        }
        this.metrics = metrics;
        this.ipv6 = new Ipv6PeerCheck(config, own6, ownPublicIpv6);
        this.config = config;
        this.own = own;
        this.ownPublicIp = ownPublicIp;
        this.backend = backend;
        this.dataPath = dataPath;
    }

    /**
     * For an IPv6-only network ({@code EnableIPv4: false}): this host's IPv6 subnet and
     * {@code PublicIPv6}; other hosts' leases are checked and passed on by their IPv6 halves only.
     */
    public static PeerAdmission ipv6Only(NetworkConfig config, Ip6Net own6, String ownPublicIpv6, Backend backend, boolean dataPath,
                                         OverlayMetrics metrics) {
        if (config.enableIPv4() || config.ipv6().isEmpty()) {
            throw new IllegalArgumentException("not an IPv6-only network: EnableIPv4 is " + config.enableIPv4() + ", EnableIPv6 is "
                    + config.ipv6().isPresent());
        }
        // no IPv4 public IP: the unspecified address is none of another host's (and any lease carrying it as a
        // PublicIP has it as flannel's zero value, never checked or used here)
        return new PeerAdmission(config, Optional.empty(), Ip4.parse("0.0.0.0"), Optional.of(own6), Optional.of(ownPublicIpv6), backend,
                dataPath, metrics);
    }

    /** The events of {@code batch} that the backend may apply: good leases as they are, bad ones dropped or withdrawn. */
    public List<LeaseEvent> admit(List<LeaseEvent> batch, HostView host) {
        Checks checks = new Checks(host);
        List<LeaseEvent> out = new ArrayList<>(batch.size());
        boolean released = false;
        for (LeaseEvent e : batch) {
            Lease l = inScope(e.lease());
            if (e instanceof LeaseEvent.Removed) {
                rejected.remove(l.id());
                Lease before = withdraw(l.id());
                if (before != null) {
                    out.add(new LeaseEvent.Removed(before));
                    released = true;
                }
            } else {
                released |= consider(l, checks, out);
            }
        }
        if (released && !rejected.isEmpty()) {
            retryRejected(checks, out);
        }
        publish();
        return out;
    }

    /** Checks every known lease again against the host as it is now; returns what changes. */
    public List<LeaseEvent> reconsider(HostView host) {
        Checks checks = new Checks(host);
        List<LeaseEvent> out = new ArrayList<>();
        for (Lease l : new ArrayList<>(accepted.values())) {
            consider(l, checks, out);
        }
        retryRejected(checks, out);
        publish();
        return out;
    }

    /** The leases not programmed now, by subnet. */
    public List<Rejected> rejected() {
        return rejectedSnapshot;
    }

    /** Every lease it has seen and not seen go: programmed or rejected. */
    public List<Lease> known() {
        List<Lease> all = new ArrayList<>(accepted.values());
        rejected.values().forEach(r -> all.add(r.lease()));
        return all;
    }

    /** The leases programmed now that have an IPv4 half, by their IPv4 subnet. */
    public Map<Ip4Net, Lease> accepted() {
        Map<Ip4Net, Lease> out = new HashMap<>();
        accepted.forEach((id, l) -> id.ipv4().ifPresent(v4 -> out.put(v4, l)));
        return Map.copyOf(out);
    }

    /** The leases programmed now, by what names them (IPv6-only ones by their IPv6 subnet). */
    public Map<LeaseId, Lease> programmed() {
        return Map.copyOf(accepted);
    }

    /**
     * A lease as this network sees it: in an IPv6-only network a dual-stack lease is its IPv6 half,
     * so its IPv4 half is neither checked nor programmed; every other lease as it is.
     */
    private Lease inScope(Lease l) {
        return !config.enableIPv4() && l.ipv4Subnet().isPresent() && l.ipv6Subnet().isPresent() ? l.ipv6Half() : l;
    }

    private void retryRejected(Checks checks, List<LeaseEvent> out) {
        for (Rejected r : new ArrayList<>(rejected.values())) {
            consider(r.lease(), checks, out);
        }
    }

    /** Checks one lease and records the outcome; returns true when it withdrew an accepted lease. */
    private boolean consider(Lease l, Checks checks, List<LeaseEvent> out) {
        LeaseId subnet = l.id();
        Lease before = accepted.get(subnet);
        Optional<PeerRejection> why = checks.check(l);
        if (why.isEmpty()) {
            if (before != null && before.equals(l)) {
                return false;
            }
            if (before != null) {
                release(before);
            }
            accepted.put(subnet, l);
            claim(l);
            Rejected was = rejected.remove(subnet);
            if (was != null) {
                LOG.info("the lease of {} at {} is accepted now (it was rejected: {})", l.keyName(),
                        l.isIpv6Only() ? l.attrs().publicIpv6().orElse("none") : l.attrs().publicIp(), was.why());
            }
            out.add(before == null ? new LeaseEvent.Added(l) : new LeaseEvent.Changed(before, l));
            return false;
        }
        Rejected was = rejected.put(subnet, new Rejected(l, why.get()));
        if (was == null || !was.why().equals(why.get()) || !was.lease().attrs().equals(l.attrs())) {
            LOG.warn("rejected the lease {} ({}): {}; nothing of it is programmed", l.keyName(), publicAddress(l), why.get());
            metrics.leaseRejected(why.get().reason().label());
        }
        Lease withdrawn = withdraw(subnet);
        if (withdrawn != null) {
            out.add(new LeaseEvent.Removed(withdrawn));
            return true;
        }
        return false;
    }

    /** For logs: the address a lease is reached at (an IPv6-only lease's PublicIP is flannel's unused zero value). */
    private static String publicAddress(Lease l) {
        return l.isIpv6Only() ? "PublicIPv6 " + l.attrs().publicIpv6().orElse("none") : "PublicIP " + l.attrs().publicIp();
    }

    private Lease withdraw(LeaseId subnet) {
        Lease before = accepted.remove(subnet);
        if (before != null) {
            release(before);
        }
        return before;
    }

    private void claim(Lease l) {
        for (PeerClaim c : backend.claims(l)) {
            claims.computeIfAbsent(c.key(), k -> new Holders(c.holder(), new HashSet<>())).subnets().add(l.id());
        }
    }

    private void release(Lease l) {
        for (PeerClaim c : backend.claims(l)) {
            Holders h = claims.get(c.key());
            if (h != null && h.subnets().remove(l.id()) && h.subnets().isEmpty()) {
                claims.remove(c.key());
            }
        }
    }

    private void publish() {
        List<Rejected> list = new ArrayList<>(rejected.values());
        list.sort(Comparator.comparing(r -> r.lease().id()));
        rejectedSnapshot = List.copyOf(list);
    }

    /** The checks against one reading of the host. */
    private final class Checks {
        private final Set<Ip4> local;
        private final List<Ip4Net.HostAddress> addresses;
        private final List<Route> foreign;

        Checks(HostView host) {
            this.local = host.localAddresses();
            this.addresses = host.addresses();
            this.foreign = config.enableIPv4() ? host.foreignRoutesIn(config.network(), backend::ownsRoute) : List.of();
        }

        Optional<PeerRejection> check(Lease l) {
            if (config.enableIPv4() && l.isIpv6Only()) {
                return reject(PeerRejection.Reason.NO_IPV4_SUBNET, "it is an IPv6-only lease (" + l.ipv6Subnet().get() + "), and this"
                        + " network runs IPv4 (EnableIPv4): nothing to route its IPv4 traffic to");
            }
            if (!config.enableIPv4() && l.ipv6Subnet().isEmpty()) {
                return reject(PeerRejection.Reason.NO_IPV6_SUBNET, "it has no IPv6 subnet (" + l.keyName() + "), and this network is"
                        + " IPv6-only (EnableIPv4: false): nothing to route its traffic to");
            }
            Optional<PeerRejection> v4 = l.ipv4Subnet().isPresent() ? checkIpv4Subnet(l.subnet()) : Optional.empty();
            if (v4.isPresent()) {
                return v4;
            }
            Optional<PeerRejection> v6 = ipv6.check(l, dataPath, accepted.values());
            if (v6.isPresent()) {
                return v6;
            }
            if (!dataPath) {
                return Optional.empty();
            }
            if (l.ipv4Subnet().isPresent()) {
                Optional<PeerRejection> ip = checkPublicIp(l.attrs().publicIp());
                if (ip.isPresent()) {
                    return ip;
                }
            }
            Optional<PeerRejection> data = backend.checkPeer(l);
            if (data.isPresent()) {
                return data;
            }
            for (PeerClaim c : backend.claims(l)) {
                Holders h = claims.get(c.key());
                if (h != null && !h.holder().equals(c.holder()) && !(h.subnets().size() == 1 && h.subnets().contains(l.id()))) {
                    return reject(c.reason(), c.key() + " is already published by " + h.holder() + " (" + h.subnets().iterator().next()
                            + "); the lease programmed first keeps it");
                }
            }
            for (Route r : foreign) {
                if (l.ipv4Subnet().isPresent() && r.ip4Destination().overlaps(l.subnet()) && !isFlannelShaped(r, l)) {
                    return reject(PeerRejection.Reason.OVERLAPS_HOST_ROUTE, "subnet " + l.subnet() + " overlaps this host's route " + r
                            + ", which javaoverlay did not make");
                }
            }
            return Optional.empty();
        }

        /** The IPv4 subnet's checks: SubnetLen, inside Network, not this host's. */
        private Optional<PeerRejection> checkIpv4Subnet(Ip4Net subnet) {
            return PeerSubnetCheck.check("", subnet, subnet.prefixLength(), config.subnetLen(), config.network().contains(subnet),
                    config.network(), own.filter(subnet::overlaps));
        }

        /**
         * A route to exactly the peer's subnet via its public IP is what flanneld (or javaoverlay
         * before it marked its routes) made for that peer: programming the peer takes it over.
         * Routes this agent made carry its mark or sit on its backend's device, so they never get here.
         */
        private boolean isFlannelShaped(Route r, Lease l) {
            return r.ip4Destination().equals(l.subnet()) && l.attrs().publicIp().equals(r.ip4Gateway());
        }

        private Optional<PeerRejection> checkPublicIp(Ip4 ip) {
            Optional<Ip4Ranges.Special> special = Ip4Ranges.notAHost(ip);
            if (special.isPresent()) {
                return reject(PeerRejection.Reason.BAD_PUBLIC_IP, "PublicIP " + ip + " is " + special.get().name() + ", not a host");
            }
            if (config.network().contains(ip)) {
                return reject(PeerRejection.Reason.BAD_PUBLIC_IP, "PublicIP " + ip + " is inside the overlay Network " + config.network()
                        + ": its tunnel packets would be routed into the overlay");
            }
            if (ip.equals(ownPublicIp) || local.contains(ip)) {
                return reject(PeerRejection.Reason.OWN_PUBLIC_IP, "PublicIP " + ip + " is this host's own address");
            }
            for (Ip4Net.HostAddress a : addresses) {
                Ip4Net n = a.network();
                if (n.prefixLength() <= 30 && (ip.equals(n.address()) || ip.equals(n.last()))) {
                    return reject(PeerRejection.Reason.BAD_PUBLIC_IP, "PublicIP " + ip + " is the " + (ip.equals(n.address()) ? "network"
                            : "broadcast") + " address of " + n + ", a network this host is on");
                }
            }
            return Optional.empty();
        }
    }

    private static Optional<PeerRejection> reject(PeerRejection.Reason reason, String detail) {
        return Optional.of(new PeerRejection(reason, detail));
    }
}
