package io.javaoverlay.core.netlink;

/**
 * An rtnetlink socket bound to one network namespace, with the operations grouped by object:
 * {@link #links()}, {@link #addresses()}, {@link #routes()}, {@link #neighbours()},
 * {@link #fdb()}. Open one per namespace and keep it: requests reuse its buffers.
 * Thread-safe (requests are serialized). Close it when done.
 */
public final class NetlinkSocket implements AutoCloseable {

    private final NetlinkChannel channel;
    private final Links links;
    private final Addresses addresses;
    private final Routes routes;
    private final Neighbours neighbours;
    private final Fdb fdb;

    private NetlinkSocket(NetlinkChannel channel) {
        this.channel = channel;
        this.links = new Links(channel);
        this.addresses = new Addresses(channel);
        this.routes = new Routes(channel);
        this.neighbours = new Neighbours(channel);
        this.fdb = new Fdb(channel);
    }

    /** A socket on the calling thread's network namespace (normally the process's). */
    public static NetlinkSocket open() {
        return new NetlinkSocket(NetlinkChannel.open());
    }

    /**
     * A socket on {@code ns}: created on a thread inside the namespace, it keeps working on
     * that namespace whatever thread uses it later.
     */
    public static NetlinkSocket open(NetNs ns) {
        return ns.call(NetlinkSocket::open);
    }

    public Links links() {
        return links;
    }

    public Addresses addresses() {
        return addresses;
    }

    public Routes routes() {
        return routes;
    }

    public Neighbours neighbours() {
        return neighbours;
    }

    public Fdb fdb() {
        return fdb;
    }

    @Override
    public void close() {
        channel.close();
    }
}
