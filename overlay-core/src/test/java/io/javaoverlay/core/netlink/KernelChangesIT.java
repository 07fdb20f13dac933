package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestNetwork;

/**
 * What wakes the agent, against the real kernel: changes to a backend's own links, their routes,
 * neighbours and FDB entries, and routes inside its networks do; the underlay's ARP entries,
 * other links and routes elsewhere do not. Each change is made with {@code ip}, as an operator
 * (or another program) would make it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KernelChangesIT {

    @RegisterExtension
    final TestNetwork net = TestNetwork.namespacesOnly();

    /** A change is reported within this; one that is not must stay unreported this long. */
    private static final Duration REPORTED = Duration.ofSeconds(2);
    private static final Duration QUIET = Duration.ofMillis(700);

    private TestNamespace ns;
    private final AtomicInteger reports = new AtomicInteger();
    private KernelChanges changes;

    @BeforeEach
    void setUp() {
        ns = net.createNamespace("kchg");
        // "ours": a backend's device; "ext": the interface it routes through; "other": neither
        ns.execOk("ip", "link", "add", "ours", "type", "bridge");
        ns.execOk("ip", "link", "add", "ext", "type", "veth", "peer", "name", "other");
        for (String dev : List.of("ours", "ext", "other")) {
            // no IPv6 link-local address, whose DAD would report a change a second later
            ns.execOk("ip", "link", "set", dev, "addrgenmode", "none");
            ns.execOk("ip", "link", "set", dev, "up");
        }
        ns.execOk("ip", "addr", "add", "192.0.2.2/24", "dev", "ext");
        ns.execOk("ip", "addr", "add", "198.51.100.2/24", "dev", "other");
        KernelChanges.Interest interest = new KernelChanges.Interest(Set.of("ours"), Set.of("ext"),
                List.of(Ip4Net.parse("10.99.0.0/16")), List.of(Ip6Net.parse("fd99::/48")));
        try (NetNs inside = ns.open()) {
            changes = inside.call(() -> KernelChanges.start(interest, reports::incrementAndGet));
        }
        settle();
    }

    @AfterEach
    void tearDown() {
        if (changes != null) {
            changes.close();
        }
    }

    /** Lets the set-up's own messages pass, then starts counting from zero. */
    private void settle() {
        sleep(QUIET);
        reports.set(0);
    }

    private void assertReported(String... command) {
        settle();
        ns.execOk(command);
        await().atMost(REPORTED).pollInterval(Duration.ofMillis(20))
                .untilAsserted(() -> assertThat(reports.get()).as("reported: %s", String.join(" ", command)).isPositive());
    }

    private void assertNotReported(String... command) {
        settle();
        ns.execOk(command);
        sleep(QUIET);
        assertThat(reports.get()).as("not reported: %s", String.join(" ", command)).isZero();
    }

    @Test
    void changesToTheBackendsOwnDeviceAreReported() {
        assertReported("ip", "addr", "add", "10.99.1.0/32", "dev", "ours");
        assertReported("ip", "route", "add", "10.99.2.0/24", "via", "10.99.2.0", "dev", "ours", "onlink");
        assertReported("ip", "route", "del", "10.99.2.0/24");
        assertReported("ip", "neigh", "add", "10.99.2.0", "lladdr", "02:00:00:00:00:01", "dev", "ours", "nud", "permanent");
        assertReported("ip", "neigh", "del", "10.99.2.0", "dev", "ours");
        assertReported("ip", "link", "set", "ours", "down");
        assertReported("ip", "link", "del", "ours");
        // made again: a new index, found by its name
        assertReported("ip", "link", "add", "ours", "type", "bridge");
        assertReported("ip", "addr", "add", "10.99.1.0/32", "dev", "ours");
    }

    @Test
    void theFdbOfTheBackendsVxlanDeviceIsReported() {
        ns.execOk("ip", "link", "del", "ours");
        assertReported("ip", "link", "add", "ours", "type", "vxlan", "id", "7", "dstport", "8472", "local", "192.0.2.2", "nolearning");
        assertReported("bridge", "fdb", "add", "02:00:00:00:00:05", "dev", "ours", "dst", "192.0.2.9", "self", "permanent");
        assertReported("bridge", "fdb", "del", "02:00:00:00:00:05", "dev", "ours", "dst", "192.0.2.9", "self");
    }

    @Test
    void routesInsideTheNetworksAreReportedOnAnyLink() {
        assertReported("ip", "route", "add", "10.99.7.0/24", "via", "192.0.2.7", "dev", "ext");
        assertReported("ip", "route", "del", "10.99.7.0/24");
        assertReported("ip", "route", "add", "10.0.0.0/8", "via", "198.51.100.9", "dev", "other"); // holds the Network
        assertReported("ip", "-6", "route", "add", "fd99:0:0:5::/64", "dev", "other");
    }

    @Test
    void theRoutedThroughLinkIsWatchedButNotItsNeighbours() {
        assertReported("ip", "link", "set", "ext", "down");
        assertReported("ip", "link", "set", "ext", "up");
        assertReported("ip", "addr", "add", "192.0.2.3/24", "dev", "ext");
        assertNotReported("ip", "neigh", "add", "192.0.2.50", "lladdr", "02:00:00:00:00:32", "dev", "ext");
        assertNotReported("ip", "route", "add", "203.0.113.0/24", "via", "192.0.2.1", "dev", "ext");
    }

    @Test
    void whatIsNotTheBackendsStaysQuiet() {
        assertNotReported("ip", "route", "add", "203.0.113.0/24", "via", "198.51.100.1", "dev", "other");
        assertNotReported("ip", "neigh", "add", "198.51.100.50", "lladdr", "02:00:00:00:00:33", "dev", "other");
        assertNotReported("ip", "addr", "add", "198.51.100.3/24", "dev", "other");
        assertNotReported("ip", "link", "add", "pod0", "type", "bridge");
        assertNotReported("ip", "link", "set", "pod0", "up");
        assertNotReported("ip", "-6", "route", "add", "fd00:1::/64", "dev", "other");
    }

    @Test
    void closeEndsTheThreadAndReleasesItsDescriptors() throws Exception {
        long before = openDescriptors();
        KernelChanges second;
        try (NetNs inside = ns.open()) {
            second = inside.call(() -> KernelChanges.start(changes.interest(), () -> {}));
        }
        assertThat(openDescriptors()).isGreaterThan(before);
        second.close();
        await().atMost(REPORTED).until(second::stopped);
        assertThat(openDescriptors()).isEqualTo(before);
    }

    private static long openDescriptors() throws Exception {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
