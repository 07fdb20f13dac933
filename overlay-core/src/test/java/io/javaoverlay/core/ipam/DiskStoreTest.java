package io.javaoverlay.core.ipam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

class DiskStoreTest {

    @TempDir
    Path dir;

    private Allocator allocator(Path data) {
        return new Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), DiskStore.open(data));
    }

    @Test
    void keepsOneReadableFilePerAddressNamingItsOwner() throws Exception {
        Path data = dir.resolve("ipam");
        Ip4 ip = allocator(data).allocate(Owner.cni("podnet", "c0ffee", "eth0")).ip();
        assertThat(Files.readString(data.resolve(ip.toString())))
                .isEqualTo("client=cni/podnet\nid=c0ffee\nifname=eth0\n");
        assertThat(Files.readString(data.resolve(DiskStore.LAST_RESERVED_FILE)).strip()).isEqualTo(ip.toString());
        try (var files = Files.list(data)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temp files left behind")
                    .containsExactlyInAnyOrder("lock", "last_reserved_ip", ip.toString());
        }
    }

    @Test
    void stateSurvivesANewProcessOpeningTheSameDirectory() {
        Path data = dir.resolve("ipam");
        Ip4 first = allocator(data).allocate(Owner.cni("n", "a", "eth0")).ip();
        allocator(data).reservations().release(Owner.cni("n", "a", "eth0"));
        Allocator fresh = allocator(data);
        assertThat(fresh.reservations().all()).isEmpty();
        assertThat(fresh.allocate(Owner.cni("n", "b", "eth0")).ip()).as("round-robin remembered on disk").isEqualTo(first.plus(1));
        assertThat(fresh.reservations().addressOf(Owner.cni("n", "b", "eth0"))).contains(first.plus(1));
    }

    @Test
    void aRecordItCannotUnderstandStillHoldsItsAddress() throws Exception {
        Path data = dir.resolve("ipam");
        Files.createDirectories(data);
        Files.writeString(data.resolve("10.5.72.2"), "garbage");
        Files.writeString(data.resolve("not-an-address"), "ignored");
        Allocator a = allocator(data);
        assertThat(a.reservations().all()).containsOnlyKeys(Ip4.parse("10.5.72.2"));
        assertThat(a.reservations().all().get(Ip4.parse("10.5.72.2")).client()).isEqualTo("unknown");
        assertThat(a.allocate(Owner.cni("n", "a", "eth0")).ip()).isEqualTo(Ip4.parse("10.5.72.3"));
    }

    @Test
    void twoSpellingsOfOneDirectoryShareTheLockWithinAProcess() throws Exception {
        Path real = Files.createDirectories(dir.resolve("ipam"));
        Path link = Files.createSymbolicLink(dir.resolve("ipam-link"), real);
        DiskStore a = DiskStore.open(real);
        DiskStore b = DiskStore.open(link);
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread holder = new Thread(() -> {
            try (Store.Lock l = a.lock()) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        holder.start();
        held.await();
        java.util.concurrent.CompletableFuture<Void> second = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try (Store.Lock l = b.lock()) {
                // got it once the first holder let go
            }
        });
        // waits for the holder instead of failing
        org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(300)).atMost(java.time.Duration.ofSeconds(2))
                .until(() -> !second.isDone());
        release.countDown();
        second.get(10, java.util.concurrent.TimeUnit.SECONDS);
        holder.join();
    }

    @Test
    void onlyItsOwnerCanReachTheDirectoryTheLockAndTheRecords() throws Exception {
        Path data = dir.resolve("ipam");
        Ip4 ip = allocator(data).allocate(Owner.cni("podnet", "c0ffee", "eth0")).ip();
        assertThat(mode(data)).isEqualTo("rwx------");
        assertThat(mode(data.resolve(DiskStore.LOCK_FILE))).isEqualTo("rw-------");
        assertThat(mode(data.resolve(ip.toString()))).isEqualTo("rw-------");
        assertThat(mode(data.resolve(DiskStore.LAST_RESERVED_FILE))).isEqualTo("rw-------");
    }

    @Test
    void aDirectoryAndLockFileLeftOpenByAnOlderVersionAreTightenedOnOpen() throws Exception {
        Path data = Files.createDirectories(dir.resolve("ipam"));
        Files.setPosixFilePermissions(data, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path lock = Files.writeString(data.resolve(DiskStore.LOCK_FILE), "");
        Files.setPosixFilePermissions(lock, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        DiskStore store = DiskStore.open(data);
        assertThat(mode(data)).isEqualTo("rwx------");
        store.lock().close();
        assertThat(mode(lock)).isEqualTo("rw-------");
    }

    @Test
    void aLockAnotherProcessHoldsEndsInBusyAfterTheBoundNamingTheLockFile() throws Exception {
        Path data = dir.resolve("ipam");
        DiskStore store = DiskStore.open(data, java.time.Duration.ofMillis(300));
        store.lock().close();
        try (io.javaoverlay.testkit.LockHolder holder = io.javaoverlay.testkit.LockHolder.hold(store.lockFile())) {
            Allocator a = new Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), store);
            assertThatThrownBy(() -> a.allocate(Owner.cni("n", "a", "eth0")))
                    .isInstanceOfSatisfying(IpamException.class, e -> {
                        assertThat(e.kind()).isEqualTo(IpamException.Kind.BUSY);
                        assertThat(e.getMessage()).contains(store.lockFile().toString());
                    });
        }
        assertThat(store.ip4().reservations()).as("nothing reserved by the call that gave up").isEmpty();
        assertThat(new Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), store)
                .allocate(Owner.cni("n", "a", "eth0")).ip()).as("works again once the holder is gone").isNotNull();
    }

    private static String mode(Path p) throws java.io.IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void releasingWhatIsNotThereSucceeds() {
        Allocator a = allocator(dir.resolve("ipam"));
        assertThat(a.reservations().release(Owner.cni("n", "ghost", "eth0"))).isEmpty();
        assertThat(a.reservations().releaseAddress(Ip4.parse("10.5.72.9"))).isEqualTo(Optional.empty());
    }
}
