package io.javaoverlay.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.testkit.LockHolder;

/** What only the embedded store's files have to do with local users: modes and a bounded lock. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DiskLeaseStoreTest {

    @TempDir
    Path dir;

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    private static LeaseAttrs attrs() {
        return LeaseAttrs.parse("{\"PublicIP\":\"192.0.2.7\",\"BackendType\":\"udp\"}");
    }

    @Test
    void itsDirectoriesAndFilesAreOwnerOnlyAndLooseOnesAreTightened() throws Exception {
        Path leases = Files.createDirectories(dir.resolve("leases"));
        Files.setPosixFilePermissions(leases, PosixFilePermissions.fromString("rwxr-xr-x"));
        DiskLeaseStore store = new DiskLeaseStore(leases, Optional.empty());
        store.create(Ip4Net.parse("10.244.3.0/24"), attrs(), Duration.ofMinutes(1));
        assertThat(mode(leases)).isEqualTo("rwx------");
        assertThat(mode(leases.resolve("subnets"))).isEqualTo("rwx------");
        assertThat(mode(store.lockFile())).isEqualTo("rw-------");
        assertThat(mode(leases.resolve("revision"))).isEqualTo("rw-------");
        assertThat(mode(leases.resolve("subnets/10.244.3.0-24.json"))).isEqualTo("rw-------");
    }

    @Test
    void aLockHeldByAnotherProcessEndsInStoreBusyAfterTheBound() throws Exception {
        DiskLeaseStore store = new DiskLeaseStore(dir.resolve("leases"), Optional.empty(), Clock.systemUTC(), Duration.ofMillis(50),
                Duration.ofMillis(300));
        store.list();
        try (LockHolder holder = LockHolder.hold(store.lockFile())) {
            assertThatThrownBy(() -> store.create(Ip4Net.parse("10.244.3.0/24"), attrs(), Duration.ofMinutes(1)))
                    .isInstanceOf(LeaseException.StoreBusyException.class)
                    .isInstanceOf(LeaseException.StoreUnavailableException.class)
                    .hasMessageContaining(store.lockFile().toString());
        }
        assertThat(store.list().leases()).as("the call that gave up wrote nothing").isEmpty();
        assertThat(store.create(Ip4Net.parse("10.244.3.0/24"), attrs(), Duration.ofMinutes(1)).attrs().publicIp())
                .isEqualTo(Ip4.parse("192.0.2.7"));
    }
}
