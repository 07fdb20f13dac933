package io.javaoverlay.core.backend.udp;

/**
 * What the packet loops look up, replaced as a whole when peers change: the peer table and
 * this host's subnet. The event loop writes, the packet loops read once per batch.
 */
final class PeerRoutes {

    private volatile PeerTable table;
    private volatile int ownNetwork;
    private volatile int ownMask;

    PeerRoutes(int subnetLength) {
        this.table = PeerTable.empty(subnetLength);
    }

    PeerTable table() {
        return table;
    }

    void table(PeerTable t) {
        table = t;
    }

    /** This host's subnet address ({@code <subnet>.0}): the TUN device's address, the source of ICMP errors. */
    int ownAddress() {
        return ownNetwork;
    }

    /** Whether {@code ip} is in this host's subnet. */
    boolean isOwn(int ip) {
        return (ip & ownMask) == ownNetwork && ownMask != 0;
    }

    void own(int network, int mask) {
        ownMask = mask;
        ownNetwork = network;
    }
}
