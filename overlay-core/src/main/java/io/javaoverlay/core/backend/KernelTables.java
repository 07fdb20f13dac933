package io.javaoverlay.core.backend;

import java.util.List;

import io.javaoverlay.core.netlink.FdbEntry;
import io.javaoverlay.core.netlink.Neighbour;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.Route;

/**
 * The kernel tables the route-programming backends write for their peers: routes, neighbour
 * entries and FDB entries. Failures are {@link io.javaoverlay.core.netlink.NetlinkException}s as
 * the kernel reports them ({@code NotFound} when deleting what is gone). {@link #of} is the kernel;
 * the unit tests of {@link PeerReconciler} and the backends use an in-memory table.
 */
public interface KernelTables {

    void replaceRoute(Route route);

    void deleteRoute(Route route);

    /** Every IPv4 route of the main table. */
    List<Route> routes();

    /** Every IPv6 route of the main table (the in-memory tables of unit tests have none unless they say so). */
    default List<Route> routes6() {
        return List.of();
    }

    void replaceNeighbour(Neighbour neighbour);

    void deleteNeighbour(Neighbour neighbour);

    /** The IPv4 neighbour entries on one link. */
    List<Neighbour> neighbours(int linkIndex);

    /** The IPv6 neighbour entries on one link (the in-memory tables of unit tests have none unless they say so). */
    default List<Neighbour> neighbours6(int linkIndex) {
        return List.of();
    }

    void replaceFdb(FdbEntry entry);

    void deleteFdb(FdbEntry entry);

    /** The FDB entries of one link. */
    List<FdbEntry> fdb(int linkIndex);

    /** The tables of {@code nl}'s network namespace. */
    static KernelTables of(NetlinkSocket nl) {
        return new KernelTables() {
            @Override
            public void replaceRoute(Route route) {
                nl.routes().replace(route);
            }

            @Override
            public void deleteRoute(Route route) {
                nl.routes().delete(route);
            }

            @Override
            public List<Route> routes() {
                return nl.routes().listIp4();
            }

            @Override
            public List<Route> routes6() {
                return nl.routes().list(10 /* AF_INET6 */).stream()
                        .filter(r -> r.table() == Route.TABLE_MAIN).toList();
            }

            @Override
            public void replaceNeighbour(Neighbour neighbour) {
                nl.neighbours().replace(neighbour);
            }

            @Override
            public void deleteNeighbour(Neighbour neighbour) {
                nl.neighbours().delete(neighbour);
            }

            @Override
            public List<Neighbour> neighbours(int linkIndex) {
                return nl.neighbours().listIp4(linkIndex);
            }

            @Override
            public List<Neighbour> neighbours6(int linkIndex) {
                return nl.neighbours().listIp6(linkIndex);
            }

            @Override
            public void replaceFdb(FdbEntry entry) {
                nl.fdb().replace(entry);
            }

            @Override
            public void deleteFdb(FdbEntry entry) {
                nl.fdb().delete(entry);
            }

            @Override
            public List<FdbEntry> fdb(int linkIndex) {
                return nl.fdb().list(linkIndex);
            }
        };
    }
}
