package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4Net;

/** The lease contract on the embedded store, plus what is particular to it. */
class DiskSubnetManagerTest extends SubnetManagerContract {

    static Path dir;

    @BeforeAll
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("jo-leases-");
    }

    @AfterAll
    static void removeDir() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    LeaseStore newStore() {
        return new DiskLeaseStore(dir, Optional.empty(), java.time.Clock.systemUTC(), Duration.ofMillis(50));
    }

    @Override
    void reserve(Ip4Net subnet, LeaseAttrs attrs) {
        ((DiskLeaseStore) newStore()).reserve(subnet, attrs);
    }

    @Test
    void keepsFlannelsValueAndTheExpiryInOneJsonFilePerLease() throws IOException {
        SubnetManager m = manager(Duration.ofMinutes(5));
        Lease l = m.acquire(m.networkConfig(), attrs("192.0.2.60"), Optional.empty());
        String file = Files.readString(dir.resolve("subnets").resolve(l.subnet().toKey() + ".json"));
        assertThat(file).contains("\"Value\":\"{\\\"PublicIP\\\":\\\"192.0.2.60\\\",\\\"PublicIPv6\\\":null,"
                + "\\\"BackendType\\\":\\\"vxlan\\\",\\\"BackendData\\\":{\\\"VNI\\\":1,\\\"VtepMAC\\\":\\\"0a:58:0a:09:00:01\\\"}}\"")
                .contains("\"Expiration\":\"");
    }

    @Test
    void configComesFromTheGivenFileFirst() throws IOException {
        Path file = dir.resolve("given.json");
        Files.writeString(file, "{\"Network\":\"10.77.0.0/16\"}");
        SubnetManager m = new SubnetManager(new DiskLeaseStore(dir, Optional.of(file)), Duration.ofMinutes(1));
        assertThat(m.networkConfig().network()).hasToString("10.77.0.0/16");
        Files.delete(file);
        assertThat(m.store().readNetworkConfig()).isEmpty();
    }
}
