package io.javaoverlay.core.backend.vxlan;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import io.javaoverlay.core.backend.KernelTables;
import io.javaoverlay.core.config.Ipv6Config;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.FdbEntry;
import io.javaoverlay.core.netlink.Neighbour;
import io.javaoverlay.core.netlink.Route;

/**
 * What differs between vxlan's two devices, {@code flannel.<VNI>} (IPv4) and
 * {@code flannel-v6.<VNI>} (IPv6), for {@link VxlanPaths}: which half of a lease a peer is read
 * from, which kernel tables hold its entries, and which routes are the overlay's. Everything else
 * (one neighbour, one FDB entry and one onlink route per peer, route last; DirectRouting; stale
 * state; repair) is the same, as in flannel's {@code vxlan_network.go}.
 */
interface VxlanFamily {

    /** {@code IPv4} or {@code IPv6}, for messages. */
    String label();

    /** The lease's half for this device ({@link VxlanPeer.Result#none()} when the lease has none). */
    VxlanPeer.Result peer(Lease lease);

    /** Whether {@code publicIp} is on one of the external interface's networks (DirectRouting), with DirectRouting on. */
    boolean onSameL2(InetAddress publicIp);

    List<Route> routes(KernelTables kernel);

    List<Neighbour> neighbours(KernelTables kernel, int link);

    /** A route destination inside this family's overlay network that is not this host's own subnet: a peer's. */
    boolean isPeerDestination(InetAddress destination, int prefixLength);

    /** The FDB entry that sends {@code mac} to {@code publicIp}. */
    FdbEntry fdb(int link, MacAddress mac, InetAddress publicIp);

    /** {@code flannel.<VNI>}: the lease's IPv4 half in the IPv4 tables. */
    static VxlanFamily ipv4(Ip4Net network, List<Ip4Net> externalNetworks, Supplier<Optional<Ip4Net>> own) {
        List<Ip4Net> l2 = List.copyOf(externalNetworks);
        return new VxlanFamily() {
            @Override
            public String label() {
                return "IPv4";
            }

            @Override
            public VxlanPeer.Result peer(Lease lease) {
                return VxlanPeer.from(lease);
            }

            @Override
            public boolean onSameL2(InetAddress publicIp) {
                return publicIp instanceof Inet4Address && l2.stream().anyMatch(n -> n.contains(Ip4.of(publicIp)));
            }

            @Override
            public List<Route> routes(KernelTables kernel) {
                return kernel.routes();
            }

            @Override
            public List<Neighbour> neighbours(KernelTables kernel, int link) {
                return kernel.neighbours(link);
            }

            @Override
            public boolean isPeerDestination(InetAddress destination, int prefixLength) {
                if (!(destination instanceof Inet4Address)) {
                    return false;
                }
                Ip4Net dst = Ip4Net.containing(Ip4.of(destination), prefixLength);
                return network.contains(dst) && !own.get().map(dst::equals).orElse(false);
            }

            @Override
            public FdbEntry fdb(int link, MacAddress mac, InetAddress publicIp) {
                return FdbEntry.vxlan(link, mac, Ip4.of(publicIp));
            }
        };
    }

    /** {@code flannel-v6.<VNI>}: the lease's IPv6 half in the IPv6 tables. */
    static VxlanFamily ipv6(Ipv6Config config, List<Ip6Net> externalNetworks, Supplier<Optional<Ip6Net>> own) {
        List<Ip6Net> l2 = List.copyOf(externalNetworks);
        return new VxlanFamily() {
            @Override
            public String label() {
                return "IPv6";
            }

            @Override
            public VxlanPeer.Result peer(Lease lease) {
                return VxlanPeer.from6(lease);
            }

            @Override
            public boolean onSameL2(InetAddress publicIp) {
                return publicIp instanceof Inet6Address && l2.stream().anyMatch(n -> n.contains(new BigInteger(1, publicIp.getAddress())));
            }

            @Override
            public List<Route> routes(KernelTables kernel) {
                return kernel.routes6();
            }

            @Override
            public List<Neighbour> neighbours(KernelTables kernel, int link) {
                return kernel.neighbours6(link);
            }

            @Override
            public boolean isPeerDestination(InetAddress destination, int prefixLength) {
                if (!(destination instanceof Inet6Address)) {
                    return false;
                }
                Ip6Net dst = Ip6Net.containing(new BigInteger(1, destination.getAddress()), prefixLength);
                return config.network().contains(dst) && !own.get().map(dst::equals).orElse(false);
            }

            @Override
            public FdbEntry fdb(int link, MacAddress mac, InetAddress publicIp) {
                return FdbEntry.vxlan6(link, mac, (Inet6Address) publicIp);
            }
        };
    }
}
