package io.javaoverlay.core.netlink;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

import java.nio.ByteBuffer;

/**
 * The one place that calls native code. Every libc function the netlink package needs is
 * declared here (JNA direct mapping: no per-call reflection or argument boxing), and every
 * failure becomes a {@link NetlinkException} here, with errno read right after the call.
 *
 * <p>Buffers cross the boundary as raw addresses ({@code long}) so that hot paths (netlink
 * requests, TUN packets) allocate nothing per call; {@link #address(ByteBuffer)} resolves a
 * direct buffer's base address once and callers cache it.
 */
final class LibC {

    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_ROUTE = 0;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVTIMEO = 20;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_CLOEXEC = 0x80000;

    static final int MSG_TRUNC = 0x20;

    static final int CLONE_NEWNET = 0x40000000;

    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EAGAIN = 11;

    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    private LibC() {}

    // --- raw libc, direct-mapped (size_t/ssize_t are 64-bit on every platform we run on) ---
    private static native int socket(int domain, int type, int protocol);
    private static native int bind(int fd, Pointer addr, int addrlen);
    private static native int setsockopt(int fd, int level, int name, Pointer value, int len);
    private static native long send(int fd, long buf, long len, int flags);
    private static native long recv(int fd, long buf, long len, int flags);
    private static native long read(int fd, long buf, long len);
    private static native long write(int fd, long buf, long len);
    private static native int open(String path, int flags);
    private static native int close(int fd);
    private static native int ioctl(int fd, long request, Pointer arg);
    private static native int setns(int fd, int nstype);
    private static native int fstatfs(int fd, Pointer buf);
    private static native int poll(Pointer fds, long nfds, int timeoutMillis);
    private static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len);
    private static native int getsockname(int fd, Pointer addr, Pointer len);
    private static native int recvmmsg(int fd, long msgvec, int vlen, int flags, long timeout);
    private static native int sendmmsg(int fd, long msgvec, int vlen, int flags);
    private static native long writev(int fd, long iov, int iovcnt);
    private static native int pipe2(int[] fds, int flags);

    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;

    /** One {@code struct pollfd} per thread, so polling allocates nothing. */
    private static final ThreadLocal<Memory> POLL_FD = ThreadLocal.withInitial(() -> new Memory(8));

    /** The base address of a direct buffer (position ignored). */
    static long address(ByteBuffer buffer) {
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("native I/O needs a direct ByteBuffer (ByteBuffer.allocateDirect)");
        }
        return Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    }

    static int errno() {
        return Native.getLastError();
    }

    static int netlinkSocket() {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
            throw NetlinkException.of("socket(AF_NETLINK)", errno());
        }
        return fd;
    }

    /** Binds a netlink socket with port id 0, so the kernel assigns a unique one. */
    static void bindNetlink(int fd) {
        try (Memory addr = new Memory(12)) {
            addr.clear();
            addr.setShort(0, (short) AF_NETLINK);
            if (bind(fd, addr, 12) < 0) {
                throw NetlinkException.of("bind(AF_NETLINK)", errno());
            }
        }
    }

    /**
     * Binds a netlink socket with port id 0 to the multicast {@code groups} (the {@code RTMGRP_*}
     * bits), so the kernel sends it a copy of every change in those groups.
     */
    static void bindNetlink(int fd, int groups) {
        try (Memory addr = new Memory(12)) {
            addr.clear();
            addr.setShort(0, (short) AF_NETLINK);
            addr.setInt(8, groups);
            if (bind(fd, addr, 12) < 0) {
                throw NetlinkException.of("bind(AF_NETLINK, groups 0x" + Integer.toHexString(groups) + ")", errno());
            }
        }
    }

    /** A pipe, both ends non-blocking and close-on-exec: {@code [read end, write end]}. */
    static int[] pipe(String operation) {
        int[] fds = new int[2];
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
            throw NetlinkException.of(operation, errno());
        }
        return fds;
    }

    /**
     * Waits until one of two descriptors is readable, without a timeout; EINTR returns as if
     * nothing came. Returns which: bit 0 for {@code fd0}, bit 1 for {@code fd1}.
     */
    static int pollEither(int fd0, int fd1, String operation) {
        try (Memory pfds = new Memory(16)) {
            pfds.setInt(0, fd0);
            pfds.setShort(4, POLLIN);
            pfds.setShort(6, (short) 0);
            pfds.setInt(8, fd1);
            pfds.setShort(12, POLLIN);
            pfds.setShort(14, (short) 0);
            int n = poll(pfds, 2, -1);
            if (n < 0) {
                int e = errno();
                if (e == EINTR) {
                    return 0;
                }
                throw NetlinkException.of(operation, e);
            }
            return (pfds.getShort(6) != 0 ? 1 : 0) | (pfds.getShort(14) != 0 ? 2 : 0);
        }
    }

    /** recv(2) with {@code MSG_DONTWAIT}: the length, or minus the errno (EAGAIN: nothing waiting; ENOBUFS: messages lost). */
    static int tryRecvNow(int fd, long buf, int capacity) {
        return tryRecv(fd, buf, capacity, MSG_DONTWAIT | MSG_TRUNC);
    }

    /** recv(2); retries EINTR; returns the length, or minus the errno. */
    private static int tryRecv(int fd, long buf, int capacity, int flags) {
        while (true) {
            long n = recv(fd, buf, capacity, flags);
            if (n >= 0) {
                return (int) n;
            }
            int e = errno();
            if (e != EINTR) {
                return -e;
            }
        }
    }

    static void setsockoptInt(int fd, int level, int name, int value, String what) {
        try (Memory v = new Memory(4)) {
            v.setInt(0, value);
            if (setsockopt(fd, level, name, v, 4) < 0) {
                throw NetlinkException.of("setsockopt(" + what + ")", errno());
            }
        }
    }

    static void setReceiveTimeout(int fd, long millis) {
        try (Memory tv = new Memory(16)) {
            tv.setLong(0, millis / 1000);
            tv.setLong(8, (millis % 1000) * 1000);
            if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) < 0) {
                throw NetlinkException.of("setsockopt(SO_RCVTIMEO)", errno());
            }
        }
    }

    /** Sends {@code len} bytes from the buffer start; retries EINTR. */
    static void send(int fd, long buf, int len, String operation) {
        while (true) {
            long n = send(fd, buf, len, 0);
            if (n >= 0) {
                if (n != len) {
                    throw new NetlinkException(operation + " failed: short send (" + n + " of " + len + " bytes)", 0, operation);
                }
                return;
            }
            int e = errno();
            if (e != EINTR) {
                throw NetlinkException.of(operation, e);
            }
        }
    }

    /**
     * Receives one datagram; returns its length, which with {@code MSG_TRUNC} in flags is the
     * full length even when it did not fit. EAGAIN means the receive timeout passed.
     */
    static int recv(int fd, long buf, int capacity, int flags, String operation) {
        int n = tryRecv(fd, buf, capacity, flags);
        if (n < 0) {
            throw NetlinkException.of(operation + " (waiting for the kernel's answer)", -n);
        }
        return n;
    }

    /** read(2) into {@code buf}; retries EINTR; returns bytes read (0 at end of file). */
    static int read(int fd, long buf, int len, String operation) {
        return (int) orThrow(tryRead(fd, buf, len), operation);
    }

    /** write(2) from {@code buf}; retries EINTR; returns bytes written. */
    static int write(int fd, long buf, int len, String operation) {
        return (int) orThrow(tryWrite(fd, buf, len), operation);
    }

    /** {@code n}, the result of a {@code try...} call, or the exception for its errno when it is negative. */
    private static long orThrow(long n, String operation) {
        if (n < 0) {
            throw NetlinkException.of(operation, (int) -n);
        }
        return n;
    }

    static int open(String path, int flags, String operation) {
        int fd = open(path, flags | O_CLOEXEC);
        if (fd < 0) {
            throw NetlinkException.of(operation + " " + path, errno());
        }
        return fd;
    }

    /** close(2). EINTR is not retried: on Linux the descriptor is released even then. */
    static void close(int fd, String operation) {
        if (close(fd) < 0 && errno() != EINTR) {
            throw NetlinkException.of(operation, errno());
        }
    }

    static void ioctl(int fd, long request, Memory arg, String operation) {
        if (ioctl(fd, request, arg) < 0) {
            throw NetlinkException.of(operation, errno());
        }
    }

    /** Waits up to {@code timeoutMillis} for {@code events} on {@code fd}; returns whether they came. */
    static boolean poll(int fd, short events, int timeoutMillis, String operation) {
        Memory pfd = POLL_FD.get();
        pfd.setInt(0, fd);
        pfd.setShort(4, events);
        pfd.setShort(6, (short) 0);
        int n = poll(pfd, 1, timeoutMillis);
        if (n < 0) {
            int e = errno();
            if (e == EINTR) {
                return false;
            }
            throw NetlinkException.of(operation, e);
        }
        return n > 0;
    }

    /** {@code statfs.f_type} of nsfs, the file system of namespace files ({@code linux/magic.h}). */
    static final long NSFS_MAGIC = 0x6e736673L;
    /** {@code statfs.f_type} of procfs: namespace files lived there before Linux 3.19. */
    static final long PROC_SUPER_MAGIC = 0x9fa0L;
    /** {@code ioctl(fd, NS_GET_NSTYPE)}: {@code _IO(0xb7, 0x3)}, Linux 4.11 and later. */
    static final long NS_GET_NSTYPE = 0xb703L;
    static final int ENOTTY = 25;

    /** The {@code f_type} of the file system {@code fd} lives on ({@code struct statfs} starts with it, 64 bits). */
    static long fileSystemType(int fd, String operation) {
        // struct statfs is 120 bytes on 64-bit Linux; room to spare
        try (Memory buf = new Memory(256)) {
            buf.clear();
            if (fstatfs(fd, buf) < 0) {
                throw NetlinkException.of(operation, errno());
            }
            return buf.getLong(0);
        }
    }

    /**
     * The namespace type of an nsfs descriptor ({@code CLONE_NEWNET}, ...), or -1 when the
     * kernel predates {@code NS_GET_NSTYPE} (ENOTTY).
     */
    static int namespaceType(int fd, String operation) {
        int type = ioctl(fd, NS_GET_NSTYPE, Pointer.NULL);
        if (type >= 0) {
            return type;
        }
        int e = errno();
        if (e == ENOTTY) {
            return -1;
        }
        throw NetlinkException.of(operation, e);
    }

    static void setns(int fd, String operation) {
        if (setns(fd, CLONE_NEWNET) < 0) {
            throw NetlinkException.of(operation, errno());
        }
    }

    // --- UDP sockets and non-blocking descriptors, for the udp backend's packet paths ---

    static final int AF_INET = 2;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 0x800;
    static final int O_NONBLOCK = 0x800;
    static final int SO_REUSEADDR = 2;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int MSG_DONTWAIT = 0x40;

    static int udpSocket() {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw NetlinkException.of("socket(AF_INET, SOCK_DGRAM)", errno());
        }
        return fd;
    }

    /** Binds to an IPv4 address ({@code Ip4.value()} form, 0 for any) and port (0 for any). */
    static void bindInet(int fd, int ip, int port, String operation) {
        try (Memory addr = new Memory(16)) {
            addr.clear();
            addr.setShort(0, (short) AF_INET);
            addr.setShort(2, Short.reverseBytes((short) port));
            addr.setInt(4, Integer.reverseBytes(ip));
            if (bind(fd, addr, 16) < 0) {
                throw NetlinkException.of(operation, errno());
            }
        }
    }

    /** The port a socket is bound to. */
    static int localPort(int fd) {
        try (Memory addr = new Memory(16); Memory len = new Memory(4)) {
            len.setInt(0, 16);
            if (getsockname(fd, addr, len) < 0) {
                throw NetlinkException.of("getsockname", errno());
            }
            return Short.reverseBytes(addr.getShort(2)) & 0xffff;
        }
    }

    /** setsockopt with an int value; returns the errno, 0 on success (for options that may be missing). */
    static int trySetsockoptInt(int fd, int level, int name, int value) {
        try (Memory v = new Memory(4)) {
            v.setInt(0, value);
            return setsockopt(fd, level, name, v, 4) < 0 ? errno() : 0;
        }
    }

    static int getsockoptInt(int fd, int level, int name, String what) {
        try (Memory v = new Memory(4); Memory len = new Memory(4)) {
            len.setInt(0, 4);
            if (getsockopt(fd, level, name, v, len) < 0) {
                throw NetlinkException.of("getsockopt(" + what + ")", errno());
            }
            return v.getInt(0);
        }
    }

    /**
     * recvmmsg(2) without blocking: the number of datagrams received, 0 when none is waiting.
     * The kernel fills {@code msgvec} (an array of {@code struct mmsghdr}) in place.
     */
    static int recvmmsg(int fd, long msgvec, int vlen, String operation) {
        while (true) {
            int n = recvmmsg(fd, msgvec, vlen, MSG_DONTWAIT, 0L);
            if (n >= 0) {
                return n;
            }
            int e = errno();
            if (e == EAGAIN) {
                return 0;
            }
            if (e != EINTR) {
                throw NetlinkException.of(operation, e);
            }
        }
    }

    /**
     * sendmmsg(2) without blocking: the number of datagrams sent (possibly fewer than {@code vlen}),
     * or minus the errno when the first one could not be sent.
     */
    static int sendmmsg(int fd, long msgvec, int vlen) {
        while (true) {
            int n = sendmmsg(fd, msgvec, vlen, MSG_DONTWAIT);
            if (n >= 0) {
                return n;
            }
            int e = errno();
            if (e != EINTR) {
                return -e;
            }
        }
    }

    /** read(2) on a non-blocking descriptor: bytes read, 0 when nothing is waiting (EAGAIN). */
    static int readNonBlocking(int fd, long buf, int len, String operation) {
        long n = tryRead(fd, buf, len);
        return n == -EAGAIN ? 0 : (int) orThrow(n, operation);
    }

    /** read(2); retries EINTR; returns bytes read, or minus the errno. */
    private static long tryRead(int fd, long buf, int len) {
        while (true) {
            long n = read(fd, buf, len);
            if (n >= 0) {
                return n;
            }
            int e = errno();
            if (e != EINTR) {
                return -e;
            }
        }
    }

    /** writev(2) of {@code iovcnt} {@code struct iovec}s at {@code iov}; bytes written, or minus the errno. */
    static long tryWritev(int fd, long iov, int iovcnt) {
        while (true) {
            long n = writev(fd, iov, iovcnt);
            if (n >= 0) {
                return n;
            }
            int e = errno();
            if (e != EINTR) {
                return -e;
            }
        }
    }

    /** write(2) that reports failure as minus the errno instead of throwing (hot paths count errors). */
    static long tryWrite(int fd, long buf, int len) {
        while (true) {
            long n = write(fd, buf, len);
            if (n >= 0) {
                return n;
            }
            int e = errno();
            if (e != EINTR) {
                return -e;
            }
        }
    }

    /** ioctl(2) whose argument is a plain integer value, not a pointer (e.g. TUNSETOFFLOAD). */
    static void ioctlValue(int fd, long request, long value, String operation) {
        if (ioctl(fd, request, Pointer.createConstant(value)) < 0) {
            throw NetlinkException.of(operation, errno());
        }
    }

    // --- Unix datagram sockets: systemd's notification socket (sd_notify) ---

    static final int AF_UNIX = 1;
    /** sizeof(struct sockaddr_un): a 2-byte family and 108 bytes of path. */
    static final int SOCKADDR_UN_SIZE = 110;

    private static native long sendto(int fd, byte[] buf, long len, int flags, Pointer addr, int addrlen);

    static int unixDatagramSocket() {
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw NetlinkException.of("socket(AF_UNIX, SOCK_DGRAM)", errno());
        }
        return fd;
    }

    static void bind(int fd, Memory addr, int addrlen, String operation) {
        if (bind(fd, addr, addrlen) < 0) {
            throw NetlinkException.of(operation, errno());
        }
    }

    /** Sends one datagram to {@code addr}; retries EINTR. */
    static void sendTo(int fd, byte[] message, Memory addr, int addrlen, String operation) {
        while (true) {
            long n = sendto(fd, message, message.length, 0, addr, addrlen);
            if (n >= 0) {
                return;
            }
            int e = errno();
            if (e != EINTR) {
                throw NetlinkException.of(operation, e);
            }
        }
    }
}
