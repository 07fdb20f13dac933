package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

/**
 * One kind of rtnetlink object that a new-message adds or replaces and a delete-message removes
 * (addresses, routes, neighbour and FDB entries): the three requests, written once. What the
 * kernel keys the object by, and so when {@link NetlinkException.Exists} or
 * {@link NetlinkException.NotFound} comes back, is said by each kind.
 */
abstract class RtnlObjects<T> {

    /** Writes an object's family header and attributes; {@code forDelete}: only what the kernel matches it by. */
    @FunctionalInterface
    interface Encoder<T> {
        void encode(MessageWriter w, T object, boolean forDelete);
    }

    final NetlinkChannel channel;
    private final int newType;
    private final int delType;
    private final String noun;
    private final Encoder<T> encoder;

    /** @param noun what an object is called in error messages ({@code "route"}) */
    RtnlObjects(NetlinkChannel channel, int newType, int delType, String noun, Encoder<T> encoder) {
        this.channel = channel;
        this.newType = newType;
        this.delType = delType;
        this.noun = noun;
        this.encoder = encoder;
    }

    /** Adds {@code object}; {@link NetlinkException.Exists} when the kernel has one with the same key. */
    public void add(T object) {
        request(newType, NLM_F_CREATE | NLM_F_EXCL, object, false);
    }

    /** Adds {@code object} or overwrites the one with the same key (idempotent). */
    public void replace(T object) {
        request(newType, NLM_F_CREATE | NLM_F_REPLACE, object, false);
    }

    /** Deletes the object with {@code object}'s key; an error when there is none. */
    public void delete(T object) {
        request(delType, 0, object, true);
    }

    void request(int type, int flags, T object, boolean forDelete) {
        channel.execute(type, flags, noun + " " + object, w -> encoder.encode(w, object, forDelete));
    }
}
