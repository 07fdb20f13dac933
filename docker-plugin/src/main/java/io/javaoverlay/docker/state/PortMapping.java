package io.javaoverlay.docker.state;

import java.util.Locale;

import io.javaoverlay.core.net.Ip4;

/**
 * One published port: traffic to {@code hostIp:hostPort} (any local address when
 * {@code hostIp} is null) goes to the container's {@code containerPort}.
 */
public record PortMapping(Protocol protocol, Ip4 hostIp, int hostPort, int containerPort) {

    public PortMapping {
        if (protocol == null) {
            throw new IllegalArgumentException("port mapping needs a protocol");
        }
        checkPort("host", hostPort);
        checkPort("container", containerPort);
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
        return (hostIp == null ? "" : hostIp + ":") + hostPort + "->" + containerPort + "/" + protocol.iptablesName();
    }
}
