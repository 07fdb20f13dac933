package io.javaoverlay.docker.state;

import java.math.BigInteger;
import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonInclude;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;

/**
 * One published port: traffic to {@code hostIp:hostPort}, or {@code [hostIp6]:hostPort}, goes
 * to the container's {@code containerPort}. With neither address it is published on every
 * local address of both families ({@code -p 8080:80}, {@code -p 0.0.0.0:8080:80}).
 *
 * @param hostIp6 an IPv6 host address ({@code -p [fd00::1]:8080:80}), a {@code /128}; {@code ::}
 *                is every IPv6 address and none of IPv4's ({@code -p [::]:8080:80}), as in Docker;
 *                null otherwise, and in state files written before it was recorded
 */
public record PortMapping(Protocol protocol, Ip4 hostIp, int hostPort, int containerPort,
                          @JsonInclude(JsonInclude.Include.NON_NULL) Ip6Host hostIp6) {

    public PortMapping {
        if (protocol == null) {
            throw new IllegalArgumentException("port mapping needs a protocol");
        }
        checkPort("host", hostPort);
        checkPort("container", containerPort);
        if (hostIp != null && hostIp6 != null) {
            throw new IllegalArgumentException("a port mapping has one host address, got " + hostIp + " and " + hostIp6.ipText());
        }
        if (hostIp6 != null && hostIp6.prefixLength() != 128) {
            throw new IllegalArgumentException("an IPv6 host address is a /128, got " + hostIp6);
        }
    }

    /** On every address ({@code hostIp} null) or on one IPv4 address. */
    public PortMapping(Protocol protocol, Ip4 hostIp, int hostPort, int containerPort) {
        this(protocol, hostIp, hostPort, containerPort, null);
    }

    /** On one IPv6 address, or on every IPv6 address for {@code ::}. */
    public static PortMapping on6(Protocol protocol, Ip6Host hostIp6, int hostPort, int containerPort) {
        return new PortMapping(protocol, null, hostPort, containerPort, hostIp6);
    }

    /** The host address {@code ::1}. */
    public static final Ip6Host LOOPBACK6 = new Ip6Host(BigInteger.ONE, 128);
    /** The host address {@code ::}: every IPv6 address. */
    public static final Ip6Host ANY6 = new Ip6Host(BigInteger.ZERO, 128);

    /** Published on every address of both families. */
    public boolean everyAddress() {
        return hostIp == null && hostIp6 == null;
    }

    /** Answers on IPv4 addresses: every address, or one IPv4 address. */
    public boolean onIpv4() {
        return hostIp6 == null;
    }

    /** Answers on the host's IPv6 addresses other than {@code ::1} (DNAT): every address, {@code ::}, or one IPv6 address. */
    public boolean onIpv6Addresses() {
        return hostIp == null && !LOOPBACK6.equals(hostIp6);
    }

    /** Answers on {@code ::1}, which takes the loopback relay: every address, {@code ::} or {@code ::1}. */
    public boolean onLoopback6() {
        return everyAddress() || ANY6.equals(hostIp6) || LOOPBACK6.equals(hostIp6);
    }

    /** Two mappings clash when a packet (or a bind) could match both: same protocol and port, overlapping addresses. */
    public boolean clashesWith(PortMapping o) {
        if (protocol != o.protocol || hostPort != o.hostPort) {
            return false;
        }
        if (everyAddress() || o.everyAddress()) {
            return true;
        }
        if (hostIp != null || o.hostIp != null) {
            return hostIp != null && hostIp.equals(o.hostIp);
        }
        return hostIp6.equals(o.hostIp6) || ANY6.equals(hostIp6) || ANY6.equals(o.hostIp6);
    }

    /** The host address as {@code docker port} prints it: {@code 0.0.0.0}, {@code 10.0.0.1}, {@code [::]}, {@code [fd00::1]}. */
    public String hostAddressText() {
        if (hostIp6 != null) {
            return "[" + hostIp6.ipText() + "]";
        }
        return hostIp == null ? "0.0.0.0" : hostIp.toString();
    }

    private static void checkPort(String which, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(which + " port must be 1-65535, got " + port);
        }
    }

    /** The transport protocols Docker publishes, with their IP protocol numbers (libnetwork's encoding). */
    public enum Protocol {
        TCP(6), UDP(17), SCTP(132);

        private final int number;

        Protocol(int number) {
            this.number = number;
        }

        public int number() {
            return number;
        }

        /** iptables' name for it. */
        public String iptablesName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Protocol ofNumber(int number) {
            for (Protocol p : values()) {
                if (p.number == number) {
                    return p;
                }
            }
            throw new IllegalArgumentException("IP protocol " + number + " cannot be published (tcp 6, udp 17, sctp 132)");
        }
    }

    @Override
    public String toString() {
        return (everyAddress() ? "" : hostAddressText() + ":") + hostPort + "->" + containerPort + "/" + protocol.iptablesName();
    }
}
