package io.javaoverlay.docker.names;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import io.javaoverlay.core.lease.EtcdOptions;

/**
 * How the plugin serves container names across hosts ({@code --container-dns}).
 *
 * @param etcd      the agent's etcd (names live beside its leases, under the same prefix)
 * @param dockerHost dockerd's API, {@code unix:///PATH}
 * @param upstreams where other names go; empty: the host's {@code /etc/resolv.conf} nameservers
 * @param port      the DNS port on the gateway address (53; tests use another)
 * @param period    how often the store is read and this host's names reconciled
 */
public record NameSettings(EtcdOptions etcd, String dockerHost, List<InetSocketAddress> upstreams, int port, Duration period) {

    public static final Duration DEFAULT_PERIOD = Duration.ofSeconds(1);
    public static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(2);

    public NameSettings {
        upstreams = List.copyOf(upstreams);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("DNS port must be 1-65535, got " + port);
        }
        DockerApi.of(dockerHost).close(); // refuses anything but unix:///PATH here, before the plugin starts
    }
}
