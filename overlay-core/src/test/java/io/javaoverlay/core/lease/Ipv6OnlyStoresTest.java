package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.net.Ip4;

/**
 * flannel's etcd subnet manager gives every host an IPv4 subnet, so an IPv6-only network runs only
 * with its Kubernetes subnet manager; the embedded store refuses one before writing anything (the
 * etcd store is the same code path: {@link LeaseStore#holdsIpv6OnlyLeases} is false for both).
 */
class Ipv6OnlyStoresTest {

    @TempDir
    Path dir;

    @Test
    void theEmbeddedStoreRefusesAnIpv6OnlyNetworkAndWritesNoLease() throws Exception {
        NetworkConfig v6only = NetworkConfig.parse("{\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"host-gw\"}}");
        try (DiskLeaseStore store = new DiskLeaseStore(dir.resolve("leases"), Optional.empty(), java.time.Clock.systemUTC(),
                Duration.ofMillis(50))) {
            assertThat(store.holdsIpv6OnlyLeases()).isFalse();
            SubnetManager sm = new SubnetManager(store, SubnetManager.DEFAULT_TTL);
            LeaseAttrs attrs = new LeaseAttrs(Ip4.parse("0.0.0.0"), Optional.of("fd00::2"), Optional.of("host-gw"), Optional.empty(),
                    Optional.empty());
            assertThatThrownBy(() -> sm.acquire(v6only, attrs, Optional.empty(), Optional.empty(), List.of()))
                    .isInstanceOf(NetworkConfigException.class)
                    .hasMessageContaining("IPv6-only networks (EnableIPv4: false) run only with the Kubernetes subnet manager (--kube-subnet-mgr)")
                    .hasMessageContaining("flannel's etcd subnet manager gives every host an IPv4 subnet too");
            assertThat(store.list().leases()).isEmpty();
            assertThatThrownBy(() -> store.createIpv6Only(io.javaoverlay.core.net.Ip6Net.parse("fc00:5:0:1::/64"), attrs, Duration.ofHours(1)))
                    .isInstanceOf(LeaseException.class).hasMessageContaining("holds no IPv6-only leases");
        }
        try (var files = Files.list(dir.resolve("leases"))) {
            assertThat(files.filter(f -> f.toString().contains("subnets")).flatMap(f -> {
                try {
                    return Files.list(f);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            })).isEmpty();
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing written at all
        }
    }
}
