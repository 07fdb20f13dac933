package io.javaoverlay.cni.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A namespace as the kernel identifies it: the device and inode of its nsfs file. Two paths
 * ({@code /proc/self/ns/net}, {@code /proc/1234/ns/net}) name the same namespace exactly when
 * these match; the {@code net:[INODE]} text of the link is kept for log messages.
 */
record NamespaceId(Object device, Object inode, String text) {

    /** {@code /proc/PID/ns/net} of a process ({@code self} for this one). */
    static NamespaceId ofNetwork(String pid) throws IOException {
        Path path = Path.of("/proc", pid, "ns", "net");
        return new NamespaceId(Files.getAttribute(path, "unix:dev"), Files.getAttribute(path, "unix:ino"),
                Files.readSymbolicLink(path).toString());
    }

    boolean sameAs(NamespaceId other) {
        return device.equals(other.device) && inode.equals(other.inode);
    }

    @Override
    public String toString() {
        return text;
    }
}
