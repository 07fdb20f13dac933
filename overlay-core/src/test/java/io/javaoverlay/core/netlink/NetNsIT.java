package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javaoverlay.testkit.TestProcess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Namespace handles, work inside namespaces, namespace-bound sockets and sysctls. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NetNsIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("netns");

    private static Object inode(String path) throws IOException {
        return Files.getAttribute(Path.of(path), "unix:ino");
    }

    @Test
    void workRunsInsideAndTheCallerStaysOutside() throws Exception {
        Object callerBefore = inode("/proc/thread-self/ns/net");
        Object target = inode(host.ns().netnsPath().toString());
        assertThat(target).isNotEqualTo(callerBefore);

        Object inside = host.handle().call(() -> inode("/proc/thread-self/ns/net"));

        assertThat(inside).isEqualTo(target);
        assertThat(inode("/proc/thread-self/ns/net")).isEqualTo(callerBefore);
        try (NetNs current = NetNs.current()) {
            assertThat(inode(current.path().toString())).isEqualTo(callerBefore);
        }
    }

    @Test
    void onlyANetworkNamespaceFileOpensAndAFifoNeverBlocks() throws Exception {
        Path dir = Files.createTempDirectory("netns-open");
        try {
            Path fifo = dir.resolve("fifo");
            new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start().waitFor();
            Path plain = Files.writeString(dir.resolve("plain"), "not a namespace");
            long start = System.nanoTime();
            // a blocking open of a FIFO waits for a writer; the class timeout would end this test
            assertThatThrownBy(() -> NetNs.open(fifo)).isInstanceOf(NetlinkException.NotANetworkNamespace.class)
                    .hasMessageContaining("not a namespace file");
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
            assertThatThrownBy(() -> NetNs.open(plain)).isInstanceOf(NetlinkException.NotANetworkNamespace.class);
            assertThatThrownBy(() -> NetNs.open(dir)).isInstanceOf(NetlinkException.NotANetworkNamespace.class);
            assertThatThrownBy(() -> NetNs.open(Path.of("/proc/self/ns/mnt")))
                    .isInstanceOf(NetlinkException.NotANetworkNamespace.class).hasMessageContaining("not of a network namespace");
            assertThatThrownBy(() -> NetNs.open(Path.of("/proc/self/status"))).isInstanceOf(NetlinkException.NotANetworkNamespace.class);
            assertThatThrownBy(() -> NetNs.open(dir.resolve("absent"))).isInstanceOf(NetlinkException.NotFound.class);
            try (NetNs ok = NetNs.open(host.ns().netnsPath())) {
                assertThat(inode(ok.path().toString())).isEqualTo(inode(host.ns().netnsPath().toString()));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void exceptionsPassThroughWithTheirTypes() {
        assertThatThrownBy(() -> host.handle().call(() -> {
            throw new IOException("checked one");
        })).isInstanceOf(IOException.class).hasMessage("checked one");
        assertThatThrownBy(() -> host.handle().run(() -> {
            try (NetlinkSocket nl = NetlinkSocket.open()) {
                nl.links().delete("nothere0");
            }
        })).isInstanceOf(NetlinkException.NotFound.class);
    }

    @Test
    void socketOpenedForTheNamespaceWorksFromAnyThread() throws Exception {
        try (NetlinkSocket nl = NetlinkSocket.open(host.handle())) {
            Link br = CompletableFuture.supplyAsync(() -> nl.links().createBridge("br-any")).get(10, TimeUnit.SECONDS);
            assertThat(host.ns().ipJson("link", "show", "dev", "br-any").get(0).get("ifindex").asInt()).isEqualTo(br.index());
        }
        try (NetlinkSocket root = NetlinkSocket.open()) {
            assertThat(root.links().get("br-any")).as("not in the test's own namespace").isEmpty();
        }
    }

    @Test
    void openByProcPidPath() throws Exception {
        host.ns().ip("link", "add", "br-pid", "type", "bridge");
        TestProcess sleeper = host.ns().start("sleeper", "sleep", "60");
        try (NetNs byPid = NetNs.open("/proc/" + sleeper.pid() + "/ns/net"); NetlinkSocket nl = NetlinkSocket.open(byPid)) {
            assertThat(nl.links().get("br-pid")).isPresent();
        } finally {
            sleeper.stop();
        }
    }

    @Test
    void missingNamespaceIsNotFoundAndClosedHandlesAreRefused() {
        assertThatThrownBy(() -> NetNs.named(host.network().prefix() + "-nosuch"))
                .isInstanceOf(NetlinkException.NotFound.class)
                .hasMessageContaining("/run/netns/" + host.network().prefix() + "-nosuch")
                .hasMessageContaining("No such file or directory (ENOENT)");
        NetNs other = host.ns().open();
        other.close();
        other.close();
        assertThatThrownBy(() -> other.run(() -> { })).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void sysctlsActOnTheNamespaceOnly() throws Exception {
        String rootForward = Sysctl.get("net/ipv4/ip_forward");
        String wanted = "1".equals(rootForward) ? "0" : "1";

        Sysctl.set(host.handle(), "net/ipv4/ip_forward", wanted);

        assertThat(host.ns().execOk("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo(wanted);
        assertThat(Sysctl.get(host.handle(), "net/ipv4/ip_forward")).isEqualTo(wanted);
        assertThat(Sysctl.get("net/ipv4/ip_forward")).as("root namespace untouched").isEqualTo(rootForward);

        host.ns().ip("link", "add", "br.s", "type", "bridge"); // a dot in the name, as VLAN devices have
        host.handle().run(() -> {
            Sysctl.proxyArp("br.s", true);
            Sysctl.rpFilter("br.s", 2);
            Sysctl.acceptRa("br.s", 2);
            Sysctl.ipForward(true);
        });
        assertThat(host.ns().execOk("cat", "/proc/sys/net/ipv4/conf/br.s/proxy_arp").strip()).isEqualTo("1");
        assertThat(host.ns().execOk("cat", "/proc/sys/net/ipv4/conf/br.s/rp_filter").strip()).isEqualTo("2");
        assertThat(host.ns().execOk("cat", "/proc/sys/net/ipv6/conf/br.s/accept_ra").strip()).isEqualTo("2");
        assertThat(host.ns().execOk("sysctl", "-n", "net.ipv4.ip_forward").strip()).isEqualTo("1");

        if (Files.exists(Path.of("/proc/sys/net/bridge"))) { // br_netfilter loaded (or built in)
            String before = Sysctl.get(host.handle(), "net/bridge/bridge-nf-call-iptables");
            host.handle().run(() -> Sysctl.bridgeNfCallIptables(!"1".equals(before)));
            assertThat(host.ns().execOk("cat", "/proc/sys/net/bridge/bridge-nf-call-iptables").strip())
                    .isEqualTo("1".equals(before) ? "0" : "1");
        }

        assertThatThrownBy(() -> Sysctl.get(host.handle(), "net/ipv4/conf/nosuchdev/proxy_arp"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
    }
}
