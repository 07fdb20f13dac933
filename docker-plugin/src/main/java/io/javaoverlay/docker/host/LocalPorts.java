package io.javaoverlay.docker.host;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.docker.state.PortMapping;

/**
 * {@link HostPorts} of the namespace this process runs in, as Docker's own port allocator sees
 * them: the range is the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}, which
 * Docker uses too, with its fallback 49153-65535), and a port is free when it can be bound.
 */
public final class LocalPorts implements HostPorts {

    private static final Logger LOG = LoggerFactory.getLogger(LocalPorts.class);

    static final Path PORT_RANGE = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    /** Docker's fallback when the kernel's range cannot be read (portallocator's defaults). */
    static final Range FALLBACK = new Range(49153, 65535);

    @Override
    public Range dynamicRange() {
        try {
            return parseRange(Files.readString(PORT_RANGE, StandardCharsets.US_ASCII));
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("cannot read {} ({}); picking host ports from {}-{}", PORT_RANGE, e.getMessage(), FALLBACK.first(),
                    FALLBACK.last());
            return FALLBACK;
        }
    }

    static Range parseRange(String text) {
        String[] parts = text.trim().split("\\s+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("expected two port numbers, got \"" + text.trim() + "\"");
        }
        return new Range(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
    }

    @Override
    public boolean isFree(PortMapping mapping) {
        return isFree(mapping.protocol(), address(mapping), mapping.hostPort());
    }

    /**
     * Every address is the wildcard (the JDK binds 0.0.0.0 as {@code ::} on a dual-stack
     * socket, so a listener of either family is seen); {@code ::} is the IPv6 wildcard.
     */
    private static InetAddress address(PortMapping m) {
        try {
            if (m.hostIp6() != null) {
                return m.hostIp6().toInetAddress();
            }
            return InetAddress.getByAddress(m.hostIp() == null ? new byte[4] : m.hostIp().toBytes());
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean isFree(PortMapping.Protocol protocol, InetAddress address, int port) {
        InetSocketAddress at = new InetSocketAddress(address, port);
        try {
            switch (protocol) {
                case TCP -> {
                    try (ServerSocket s = new ServerSocket()) {
                        s.bind(at);
                    }
                }
                case UDP -> {
                    try (DatagramSocket s = new DatagramSocket(at)) {
                        // bound: free
                    }
                }
                // the JDK cannot bind SCTP without its module; nothing to learn from the kernel here
                case SCTP -> { }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
