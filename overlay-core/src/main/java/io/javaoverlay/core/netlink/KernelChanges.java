package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.threads.DaemonThreads;

/**
 * Tells when the kernel state a backend programs may have changed, so the agent checks it then
 * instead of reading all of it every few seconds. One thread waits on an rtnetlink socket
 * subscribed to link, address, route and neighbour changes (IPv4 and IPv6) and, after each burst
 * of messages, calls {@code onChange} once if any of them concerns the {@link Interest}:
 *
 * <ul>
 *   <li>a link named in {@link Interest#devices()} or {@link Interest#links()} (made, changed,
 *       deleted, up or down), or an address on one;</li>
 *   <li>a route or neighbour (ARP/NDP entries and the bridge family's FDB entries) on a link
 *       named in {@link Interest#devices()};</li>
 *   <li>a route whose destination overlaps one of {@link Interest#networks4()} or
 *       {@link Interest#networks6()}, on any link: host-gw's routes, and a route of someone
 *       else's that the agent's lease checks must see.</li>
 * </ul>
 *
 * Messages that overflowed the socket's buffer (ENOBUFS) count as a change: what they said is
 * unknown. Nothing else (the underlay's ARP entries, pods' veths and their bridge entries) wakes
 * the agent. A change the agent made itself is reported too; the check it causes finds nothing to
 * do. While nothing changes, the thread is blocked in {@code poll} and uses no CPU.
 *
 * <p>A sysctl, a WireGuard peer or a process are not rtnetlink objects: backends that program
 * those keep a periodic check.
 */
public final class KernelChanges implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KernelChanges.class);

    // linux/rtnetlink.h: the legacy group bits (groups 1..32), enough for these
    static final int RTMGRP_LINK = 0x1;
    static final int RTMGRP_NEIGH = 0x4;
    static final int RTMGRP_IPV4_IFADDR = 0x10;
    static final int RTMGRP_IPV4_ROUTE = 0x40;
    static final int RTMGRP_IPV6_IFADDR = 0x100;
    static final int RTMGRP_IPV6_ROUTE = 0x400;
    private static final int GROUPS = RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE
            | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE;

    private static final int ENOBUFS = 105;
    /** A burst of thousands of route changes (a host-gw agent programming 5,000 peers) fits without loss. */
    private static final int SOCKET_BUFFER = 4 * 1024 * 1024;
    private static final int RECEIVE_BUFFER = 64 * 1024;
    private static final int RTA_DST = 1;
    private static final int RTA_OIF = 4;

    /**
     * What a backend programs: its own links by name ({@code devices}), links whose state it
     * depends on but whose neighbours and routes are not its own ({@code links}: host-gw's
     * external interface, whose ARP entries change all the time), and the networks its routes
     * lie in. The kernel removes the routes of a link that goes down without a message per
     * route, so a link a backend routes through belongs in one of the two sets.
     */
    public record Interest(Set<String> devices, Set<String> links, List<Ip4Net> networks4, List<Ip6Net> networks6) {
        public Interest {
            devices = Set.copyOf(devices);
            links = Set.copyOf(links);
            networks4 = List.copyOf(networks4);
            networks6 = List.copyOf(networks6);
        }
    }

    private final int fd;
    private final int[] wake;
    private final Interest interest;
    private final Runnable onChange;
    /** link index to name, for every link of the namespace: kept from the link messages */
    private final Map<Integer, String> names = new HashMap<>();
    private final ByteBuffer rx = ByteBuffer.allocateDirect(RECEIVE_BUFFER).order(ByteOrder.nativeOrder());
    private final long rxAddress = LibC.address(rx);
    private final Thread thread;
    private volatile boolean closed;

    private KernelChanges(int fd, int[] wake, Interest interest, Runnable onChange, List<Link> links) {
        this.fd = fd;
        this.wake = wake;
        this.interest = interest;
        this.onChange = onChange;
        for (Link l : links) {
            names.put(l.index(), l.name());
        }
        this.thread = DaemonThreads.thread("kernel-changes", this::run);
    }

    /**
     * Subscribes in the calling thread's network namespace (the socket stays bound to it) and
     * starts reporting. {@code onChange} runs on the watching thread: keep it short (hand the
     * work to another thread).
     */
    public static KernelChanges start(Interest interest, Runnable onChange) {
        Netlink.requireAvailable();
        int fd = LibC.netlinkSocket();
        int[] wake = null;
        try {
            // subscribed before the links are listed: a link made in between is in one or the other
            LibC.bindNetlink(fd, GROUPS);
            if (LibC.trySetsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, SOCKET_BUFFER) < 0) {
                LibC.trySetsockoptInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, SOCKET_BUFFER);
            }
            wake = LibC.pipe("pipe(kernel changes)");
            List<Link> links;
            try (NetlinkSocket nl = NetlinkSocket.open()) {
                links = nl.links().list();
            }
            KernelChanges k = new KernelChanges(fd, wake, interest, onChange, links);
            k.thread.start();
            return k;
        } catch (RuntimeException e) {
            LibC.close(fd, "close(netlink)");
            if (wake != null) {
                LibC.close(wake[0], "close(pipe)");
                LibC.close(wake[1], "close(pipe)");
            }
            throw e;
        }
    }

    private void run() {
        try {
            while (!closed) {
                int ready = LibC.pollEither(fd, wake[0], "poll(kernel changes)");
                if (closed || (ready & 2) != 0) {
                    break;
                }
                if ((ready & 1) != 0 && drain()) {
                    try {
                        onChange.run();
                    } catch (RuntimeException e) {
                        LOG.error("reporting a kernel change failed: {}", e.toString(), e);
                    }
                }
            }
        } catch (RuntimeException e) {
            // the agent's periodic check still runs, less often: say so, once
            LOG.error("watching the kernel's changes failed ({}); changes are found by the periodic check only", e.toString());
        } finally {
            // the write end is close()'s: it may still be writing the wake-up
            LibC.close(fd, "close(netlink)");
            LibC.close(wake[0], "close(pipe)");
        }
    }

    /** Reads every message waiting; whether one of them concerns the interest. */
    private boolean drain() {
        boolean relevant = false;
        while (true) {
            int n = LibC.tryRecvNow(fd, rxAddress, RECEIVE_BUFFER);
            if (n == -LibC.EAGAIN) {
                return relevant;
            }
            if (n == -ENOBUFS) {
                LOG.debug("kernel change messages were lost (socket buffer full): checking everything");
                relevant = true;
                continue;
            }
            if (n < 0) {
                throw NetlinkException.of("recv(kernel changes)", -n);
            }
            // a datagram larger than the buffer (none is, from the kernel) is unknown: a change
            relevant |= n > RECEIVE_BUFFER || concerns(rx, n);
        }
    }

    /** Whether any message in {@code buf[0, n)} concerns the interest; keeps the link names current. */
    boolean concerns(ByteBuffer buf, int n) {
        boolean relevant = false;
        int pos = 0;
        while (pos + MessageWriter.HEADER_LEN <= n) {
            int len = buf.getInt(pos);
            if (len < MessageWriter.HEADER_LEN || pos + len > n) {
                break;
            }
            int type = buf.getShort(pos + 4) & 0xffff;
            int payload = pos + MessageWriter.HEADER_LEN;
            int end = pos + len;
            relevant |= switch (type) {
                case RTM_NEWLINK, RTM_DELLINK -> link(buf, type, payload, end);
                case RTM_NEWADDR, RTM_DELADDR -> end - payload >= 8 && watched(buf.getInt(payload + 4));
                case RTM_NEWNEIGH, RTM_DELNEIGH -> end - payload >= 8 && ours(buf.getInt(payload + 4));
                case RTM_NEWROUTE, RTM_DELROUTE -> route(buf, payload, end);
                default -> false;
            };
            pos += (len + 3) & ~3;
        }
        return relevant;
    }

    private boolean link(ByteBuffer buf, int type, int payload, int end) {
        if (end - payload < 16) {
            return false;
        }
        int index = buf.getInt(payload + 4);
        String name = Attrs.parse(buf, payload + 16, end, IFLA_IFNAME).string(IFLA_IFNAME);
        if (name == null) {
            name = names.get(index);
        }
        if (type == RTM_DELLINK) {
            names.remove(index);
        } else if (name != null) {
            names.put(index, name);
        }
        return name != null && (interest.devices().contains(name) || interest.links().contains(name));
    }

    /** A link of {@link Interest#devices()} or {@link Interest#links()}. */
    private boolean watched(int index) {
        String name = names.get(index);
        return name != null && (interest.devices().contains(name) || interest.links().contains(name));
    }

    /** A link of {@link Interest#devices()}. */
    private boolean ours(int index) {
        String name = names.get(index);
        return name != null && interest.devices().contains(name);
    }

    private boolean route(ByteBuffer buf, int payload, int end) {
        if (end - payload < 12) {
            return false;
        }
        int family = buf.get(payload) & 0xff;
        int dstLen = buf.get(payload + 1) & 0xff;
        Attrs a = Attrs.parse(buf, payload + 12, end, RTA_OIF);
        if (a.has(RTA_OIF) && ours(a.u32(RTA_OIF, 0))) {
            return true;
        }
        byte[] dst = a.bytes(RTA_DST);
        if (family == AF_INET) {
            Ip4Net d = dst != null && dst.length == 4 ? Ip4Net.containing(Ip4.fromBytes(dst), dstLen) : Ip4Net.containing(Ip4.of(0, 0, 0, 0), 0);
            return interest.networks4().stream().anyMatch(d::overlaps);
        }
        if (family == AF_INET6) {
            BigInteger addr = dst != null && dst.length == 16 ? new BigInteger(1, dst) : BigInteger.ZERO;
            Ip6Net d = new Ip6Net(addr.andNot(Ip6Net.hostMask(dstLen)), dstLen);
            return interest.networks6().stream().anyMatch(d::overlaps);
        }
        return false;
    }

    /** Stops the thread (it closes its socket); returns at once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Memory one = new Memory(1)) {
            one.setByte(0, (byte) 1);
            LibC.tryWrite(wake[1], Pointer.nativeValue(one), 1);
        }
        LibC.close(wake[1], "close(pipe)");
    }

    public Interest interest() {
        return interest;
    }

    /** Whether the watching thread has ended (after {@link #close}, or a failure it logged). */
    public boolean stopped() {
        return !thread.isAlive();
    }
}
