package io.javaoverlay.core.netlink;

import static io.javaoverlay.core.netlink.Rtnl.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One NETLINK_ROUTE socket and the request/answer protocol over it: every request asks for an
 * ACK and its answer is checked; dumps are read to NLMSG_DONE and restarted, here and only
 * here, when the kernel marks them interrupted (NLM_F_DUMP_INTR: the table changed while it
 * was being walked, so the result may be inconsistent).
 *
 * <p>Buffers are allocated once per socket; a request costs one send and usually one receive.
 * Methods are synchronized, so one socket can be shared, but requests are serialized.
 */
final class NetlinkChannel implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NetlinkChannel.class);

    /** Large enough for any single rtnetlink message the kernel sends (dump batches are capped at 32 KiB). */
    private static final int RECEIVE_BUFFER = 256 * 1024;
    private static final int SEND_BUFFER = 32 * 1024;
    private static final int DUMP_ATTEMPTS = 10;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

    /** Decodes one answer message; returns null to leave it out of the result. */
    interface Decoder<T> {
        T decode(ByteBuffer buf, int type, int payload, int end);
    }

    private final int fd;
    private final MessageWriter tx;
    private final long txAddress;
    private final ByteBuffer rx;
    private final long rxAddress;
    private int sequence = (int) (System.nanoTime() & 0x3fffffff);
    private boolean closed;

    private NetlinkChannel(int fd) {
        this.fd = fd;
        this.tx = MessageWriter.allocate(SEND_BUFFER);
        this.txAddress = LibC.address(tx.buffer());
        this.rx = ByteBuffer.allocateDirect(RECEIVE_BUFFER).order(ByteOrder.nativeOrder());
        this.rxAddress = LibC.address(rx);
    }

    /** A socket in the calling thread's network namespace. */
    static NetlinkChannel open() {
        Netlink.requireAvailable();
        int fd = LibC.netlinkSocket();
        try {
            LibC.bindNetlink(fd);
            LibC.setReceiveTimeout(fd, ANSWER_TIMEOUT.toMillis());
            // Leave the request out of error answers (we know it) and ask for the kernel's
            // explanation text; both are optional, so old kernels just do without.
            trySetFlag(fd, LibC.NETLINK_CAP_ACK, "NETLINK_CAP_ACK");
            trySetFlag(fd, LibC.NETLINK_EXT_ACK, "NETLINK_EXT_ACK");
            return new NetlinkChannel(fd);
        } catch (RuntimeException e) {
            LibC.close(fd, "close(netlink)");
            throw e;
        }
    }

    private static void trySetFlag(int fd, int option, String name) {
        try {
            LibC.setsockoptInt(fd, LibC.SOL_NETLINK, option, 1, name);
        } catch (NetlinkException e) {
            log.debug("netlink socket option {} not supported: {}", name, e.getMessage());
        }
    }

    /**
     * Sends a request and waits for its ACK.
     *
     * @param flags NLM_F_CREATE/EXCL/REPLACE/APPEND as needed; REQUEST and ACK are added
     * @param subject what the request is about, for the error message
     * @param body writes the family header and attributes
     */
    synchronized void execute(int type, int flags, String subject, Consumer<MessageWriter> body) {
        if (log.isDebugEnabled()) {
            log.debug("{} flags 0x{} {}", Rtnl.messageName(type), Integer.toHexString(flags), subject);
        }
        send(type, NLM_F_REQUEST | NLM_F_ACK | flags, body);
        receive(type, subject, null, null);
    }

    /**
     * Sends a request whose answer is one message (e.g. RTM_GETLINK by name) and decodes it; empty
     * when the kernel answers that there is no such object ({@link NetlinkException.NotFound}).
     */
    synchronized <T> Optional<T> find(int type, String subject, Consumer<MessageWriter> body, Decoder<T> decoder) {
        send(type, NLM_F_REQUEST | NLM_F_ACK, body);
        List<T> out = new ArrayList<>(1);
        try {
            receive(type, subject, decoder, out);
        } catch (NetlinkException.NotFound e) {
            return Optional.empty();
        }
        if (out.isEmpty()) {
            throw new NetlinkException(Rtnl.messageName(type) + " failed: the kernel sent no answer [" + subject + "]", 0,
                    Rtnl.messageName(type));
        }
        return Optional.of(out.get(0));
    }

    /** Dumps a table, restarting while the kernel reports the dump as interrupted. */
    synchronized <T> List<T> dump(int type, String subject, Consumer<MessageWriter> header, Decoder<T> decoder) {
        for (int attempt = 1; ; attempt++) {
            send(type, NLM_F_REQUEST | NLM_F_DUMP, header);
            List<T> out = new ArrayList<>();
            boolean interrupted = receive(type, subject, decoder, out);
            if (!interrupted) {
                return out;
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw new NetlinkException(Rtnl.messageName(type) + " failed: dump interrupted " + DUMP_ATTEMPTS
                        + " times in a row (the table keeps changing) [" + subject + "]", 0, Rtnl.messageName(type));
            }
            log.debug("{} dump interrupted by a concurrent change, restarting", Rtnl.messageName(type));
        }
    }

    private void send(int type, int flags, Consumer<MessageWriter> body) {
        if (closed) {
            throw new IllegalStateException("netlink socket is closed");
        }
        tx.begin(type, flags);
        body.accept(tx);
        int seq = ++sequence;
        tx.sequence(seq);
        int len = tx.finish();
        LibC.send(fd, txAddress, len, Rtnl.messageName(type));
    }

    /**
     * Reads answers to the last request until its ACK, error or NLMSG_DONE.
     *
     * @return whether any answer carried NLM_F_DUMP_INTR
     */
    private <T> boolean receive(int requestType, String subject, Decoder<T> decoder, List<T> out) {
        String operation = Rtnl.messageName(requestType);
        boolean interrupted = false;
        while (true) {
            int n = LibC.recv(fd, rxAddress, RECEIVE_BUFFER, LibC.MSG_TRUNC, operation);
            if (n > RECEIVE_BUFFER) {
                throw new NetlinkException(operation + " failed: answer of " + n + " bytes exceeds the "
                        + RECEIVE_BUFFER + "-byte receive buffer [" + subject + "]", 0, operation);
            }
            int pos = 0;
            while (pos + MessageWriter.HEADER_LEN <= n) {
                int len = rx.getInt(pos);
                int type = rx.getShort(pos + 4) & 0xffff;
                int flags = rx.getShort(pos + 6) & 0xffff;
                int seq = rx.getInt(pos + 8);
                if (len < MessageWriter.HEADER_LEN || pos + len > n) {
                    throw new NetlinkException(operation + " failed: malformed answer (message length " + len + ")", 0, operation);
                }
                int payload = pos + MessageWriter.HEADER_LEN;
                int end = pos + len;
                pos += (len + 3) & ~3;
                if (seq != sequence) {
                    continue; // a late answer to an earlier request that timed out
                }
                if ((flags & NLM_F_DUMP_INTR) != 0) {
                    interrupted = true;
                }
                if (type == NLMSG_ERROR) {
                    int error = -rx.getInt(payload);
                    if (error == 0) {
                        return interrupted;
                    }
                    throw NetlinkException.of(operation, error, subject, extendedAck(flags, payload, end));
                }
                if (type == NLMSG_DONE) {
                    int error = end - payload >= 4 ? -rx.getInt(payload) : 0;
                    if (error > 0) {
                        throw NetlinkException.of(operation, error, subject, null);
                    }
                    return interrupted;
                }
                if (type == NLMSG_NOOP || decoder == null) {
                    continue;
                }
                T value = decoder.decode(rx, type, payload, end);
                if (value != null) {
                    out.add(value);
                }
            }
        }
    }

    /** The kernel's explanation (NLMSGERR_ATTR_MSG) after an error, when it sent one. */
    private String extendedAck(int flags, int payload, int end) {
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int original = payload + 4;
        int attrs = (flags & NLM_F_CAPPED) != 0 ? original + MessageWriter.HEADER_LEN : original + rx.getInt(original);
        attrs = (attrs + 3) & ~3;
        if (attrs >= end) {
            return null;
        }
        return Attrs.parse(rx, attrs, end, 8).string(NLMSGERR_ATTR_MSG);
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd, "close(netlink)");
        }
    }
}
