package io.javaoverlay.core.netlink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A handle on a network namespace, owning an open descriptor of its nsfs file
 * ({@code /run/netns/NAME}, {@code /proc/PID/ns/net}). Holding the descriptor keeps the
 * namespace alive and pins it: it stays the same namespace even if the path is unmounted.
 *
 * <p>Prefer {@link NetlinkSocket#open(NetNs)}: the socket is created on a thread inside the
 * namespace and then works on it from any thread. {@link #call} is for the rest (TUN devices,
 * sysctls): the work runs on a fresh platform thread switched into the namespace with
 * {@code setns(CLONE_NEWNET)}. The thread switches back afterwards and is then discarded in
 * any case, so no pooled thread can ever be left in the wrong namespace.
 */
public final class NetNs extends SharedFd {

    private static final Logger log = LoggerFactory.getLogger(NetNs.class);
    private static final String RUN_NETNS = "/run/netns";

    private final Path path;

    /** Work that may throw a checked exception of type E, which {@link #call} passes through. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private NetNs(Path path, int fd) {
        super(fd, "netns");
        this.path = path;
    }

    /**
     * Opens the namespace at a path such as {@code /run/netns/blue} or {@code /proc/1234/ns/net}.
     *
     * <p>The path often comes from outside (a CNI runtime's {@code CNI_NETNS}), so it is checked
     * before anything trusts it, as the reference plugins' {@code pkg/ns} does: it is opened
     * non-blocking (a FIFO would otherwise block the open until a writer comes, forever), must
     * live on nsfs (not a regular file, a FIFO or a directory) and must be a network namespace
     * (not a mount or PID namespace file, which also live on nsfs).
     *
     * @throws NetlinkException.NotANetworkNamespace when the path names anything else
     * @throws NetlinkException.NotFound when nothing is there
     */
    public static NetNs open(Path path) {
        Netlink.requireAvailable();
        String operation = "open network namespace";
        int fd = LibC.open(path.toString(), LibC.O_RDONLY | LibC.O_NONBLOCK, operation);
        try {
            requireNetworkNamespace(path, fd);
        } catch (RuntimeException e) {
            LibC.close(fd, "close(" + path + ")");
            throw e;
        }
        return new NetNs(path, fd);
    }

    private static void requireNetworkNamespace(Path path, int fd) {
        String operation = "open network namespace " + path;
        long fsType = LibC.fileSystemType(fd, "fstatfs(" + path + ")");
        // procfs as pkg/ns allows it (kernels before 3.19); a /proc file that is no namespace fails the type check below
        if (fsType != LibC.NSFS_MAGIC && fsType != LibC.PROC_SUPER_MAGIC) {
            throw new NetlinkException.NotANetworkNamespace(operation + " failed: " + path
                    + " is not a namespace file (not on nsfs; a regular file, FIFO, directory or device)", operation);
        }
        int type = fsType == LibC.NSFS_MAGIC ? LibC.namespaceType(fd, "ioctl(NS_GET_NSTYPE) on " + path) : -1;
        boolean net = type >= 0 ? type == LibC.CLONE_NEWNET : linkNamesNetworkNamespace(fd);
        if (!net) {
            throw new NetlinkException.NotANetworkNamespace(operation + " failed: " + path
                    + " is a namespace file, but not of a network namespace (a mount, PID, ... namespace)", operation);
        }
    }

    /** Kernels before 4.11 lack NS_GET_NSTYPE: the descriptor's link reads {@code net:[INODE]} for a network namespace. */
    private static boolean linkNamesNetworkNamespace(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("net:[");
        } catch (IOException e) {
            return false;
        }
    }

    public static NetNs open(String path) {
        return open(Path.of(path));
    }

    /** Opens a namespace created by {@code ip netns add NAME}. */
    public static NetNs named(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("not a network namespace name: \"" + name + "\"");
        }
        return open(Path.of(RUN_NETNS, name));
    }

    /** The calling thread's current network namespace. */
    public static NetNs current() {
        return open(Path.of("/proc/thread-self/ns/net"));
    }

    public Path path() {
        return path;
    }

    int fd() {
        if (isClosing()) {
            throw new IllegalStateException("network namespace handle " + path + " is closed");
        }
        return fd;
    }

    /** Opens a netlink socket that works on this namespace from any thread. */
    public NetlinkSocket openSocket() {
        return NetlinkSocket.open(this);
    }

    /** Runs {@code work} inside this namespace on a fresh thread and returns its result. */
    @SuppressWarnings("unchecked")
    public <T, E extends Exception> T call(Work<T, E> work) throws E {
        int target = fd();
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        Thread thread = new Thread(() -> {
            try {
                result[0] = inNamespace(target, work);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "netns " + path.getFileName());
        thread.setDaemon(true);
        thread.start();
        joinUninterruptibly(thread);
        Throwable t = failure[0];
        if (t == null) {
            return (T) result[0];
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error err) {
            throw err;
        }
        throw (E) t;
    }

    /** Runs {@code work} inside this namespace on a fresh thread. */
    public void run(Runnable work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    private <T, E extends Exception> T inNamespace(int target, Work<T, E> work) throws E {
        int original = LibC.open("/proc/thread-self/ns/net", LibC.O_RDONLY, "open current network namespace");
        try {
            LibC.setns(target, "setns(" + path + ")");
            try {
                return work.run();
            } finally {
                try {
                    LibC.setns(original, "setns(back)");
                } catch (NetlinkException e) {
                    // Harmless: this thread ends right after and is never reused.
                    log.warn("could not switch thread back from network namespace {}: {}", path, e.getMessage());
                }
            }
        } finally {
            LibC.close(original, "close(netns)");
        }
    }

    private static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the work cannot be abandoned half-done inside the namespace
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "netns " + path;
    }
}
