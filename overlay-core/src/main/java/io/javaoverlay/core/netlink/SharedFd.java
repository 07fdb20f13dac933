package io.javaoverlay.core.netlink;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * An object that owns one descriptor and closes it once, even while other threads are inside a
 * system call on it: the TUN device and the UDP socket of the udp backend (read and written by
 * their own threads), a namespace handle, a unix datagram socket. {@link #close} is idempotent
 * for all of them.
 *
 * <p>Closing a descriptor under a thread that is still using it would let the kernel hand the
 * same number to the next {@code open} and the late call would then read or write someone
 * else's file. So every call that may race a close brackets itself with {@link #enter}/{@link #leave},
 * and the descriptor is closed by whoever is last: {@link #close} when nothing is in flight, else the
 * final {@link #leave}. Loops that wait in {@code poll} check {@link #isClosing} between slices.
 */
abstract class SharedFd implements AutoCloseable {

    /** Low bits: calls in flight; this bit: closed (or closing). */
    private static final int CLOSED = 1 << 30;

    final int fd;
    private final String what;
    private final AtomicInteger state = new AtomicInteger();

    /** @param what names the descriptor in the error if closing fails, e.g. {@code "tun flannel0"} */
    SharedFd(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /** Marks a call in flight; false once closed, and then the call must not touch the descriptor. */
    final boolean enter() {
        while (true) {
            int s = state.get();
            if ((s & CLOSED) != 0) {
                return false;
            }
            if (state.compareAndSet(s, s + 1)) {
                return true;
            }
        }
    }

    /** Ends a call begun with a successful {@link #enter}; closes the descriptor if it was the last one. */
    final void leave() {
        if (state.decrementAndGet() == CLOSED) {
            LibC.close(fd, "close(" + what + ")");
        }
    }

    final boolean isClosing() {
        return (state.get() & CLOSED) != 0;
    }

    public final boolean isOpen() {
        return !isClosing();
    }

    /** Closes the descriptor now, or after the last call in flight. Idempotent. */
    @Override
    public final void close() {
        int before = state.getAndUpdate(s -> s | CLOSED);
        if (before == 0) {
            LibC.close(fd, "close(" + what + ")");
        }
    }
}
