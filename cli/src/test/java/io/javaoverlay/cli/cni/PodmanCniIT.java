package io.javaoverlay.cli.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.Requirements;
import io.javaoverlay.testkit.TestNetwork;

/**
 * podman 4 with its CNI backend uses the plugin as a real runtime does: two containers (busybox
 * rootfs, no registry needed) get addresses from the host subnet, reach each other, and give
 * their addresses back when stopped. podman runs inside a host namespace (nsenter --net=) with
 * every piece of its state (storage, run root, tmp dir, CNI config and plugin dirs) in a temp
 * directory named by a containers.conf of its own.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class PodmanCniIT {

    @RegisterExtension
    static final TestNetwork net = TestNetwork.namespacesOnly();

    private static CniHost host;
    private static Path dir;
    private static final List<String> podmanNamespaces = new ArrayList<>();

    @BeforeAll
    static void setUp() throws IOException {
        Requirements.check().root()
                .executable("/usr/bin/podman", "podman")
                .executable("/usr/bin/nsenter", "util-linux")
                .executable("/bin/busybox", "busybox-static")
                .orAbort();
        host = CniHost.create(net, "pm", true);
        dir = net.workDir().resolve("podman");
        Path rootfs = dir.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("bin"));
        for (String d : List.of("proc", "sys", "dev", "etc", "tmp")) {
            Files.createDirectories(rootfs.resolve(d));
        }
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("bin/busybox"));
        for (String applet : List.of("sh", "sleep", "ping", "ip")) {
            Files.createSymbolicLink(rootfs.resolve("bin/" + applet), Path.of("busybox"));
        }
        Path cniBin = Files.createDirectories(dir.resolve("cni-bin"));
        Files.createSymbolicLink(cniBin.resolve("javaoverlay"), CniHost.executable());
        Path netd = Files.createDirectories(dir.resolve("net.d"));
        Files.write(netd.resolve("jonet.conflist"), JsonTree.format(
                Map.of("cniVersion", "1.0.0", "name", "jonet", "plugins", List.of(host.plugin()))));
        Files.createDirectories(dir.resolve("tmp"));
        // cgroupfs and explicit ulimits: what podman needs to start containers on this kind of machine
        Files.writeString(dir.resolve("containers.conf"), String.join("\n",
                "[containers]",
                "default_ulimits = [\"nofile=1024:1024\", \"nproc=1024:1024\"]",
                "[network]",
                "network_backend = \"cni\"",
                "cni_plugin_dirs = [\"" + cniBin + "\", \"/usr/lib/cni\"]",
                "network_config_dir = \"" + netd + "\"",
                "[engine]",
                "cgroup_manager = \"cgroupfs\"",
                "events_logger = \"file\"",
                "events_logfile_path = \"" + dir.resolve("events.log") + "\"",
                "tmp_dir = \"" + dir.resolve("tmp") + "\"",
                ""));
    }

    @AfterAll
    static void tearDown() {
        if (dir == null) {
            return;
        }
        podman(Duration.ofSeconds(60), "rm", "--force", "--all");
        for (String ns : podmanNamespaces) {
            if (Files.exists(Path.of(ns))) {
                Exec.run("ip", "netns", "del", Path.of(ns).getFileName().toString());
            }
        }
    }

    private static ExecResult podman(Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=" + host.ns.netnsPath(), "podman",
                "--root", dir.resolve("root").toString(), "--runroot", dir.resolve("runroot").toString(),
                "--storage-driver", "vfs"));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, Map.of("CONTAINERS_CONF", dir.resolve("containers.conf").toString()), null, timeout);
    }

    private static String podmanOk(String... args) {
        return podman(Duration.ofSeconds(90), args).orThrow().stdout().strip();
    }

    private static String start(String name) {
        podmanOk("run", "--detach", "--name", name, "--network", "jonet", "--cap-add", "NET_RAW",
                "--rootfs", dir.resolve("rootfs").toString(), "/bin/sleep", "600");
        podmanNamespaces.add(podmanOk("inspect", "--format", "{{.NetworkSettings.SandboxKey}}", name));
        String addr = podmanOk("exec", name, "/bin/ip", "-4", "-o", "addr", "show", "dev", "eth0");
        // "2: eth0    inet 10.x.y.z/24 brd ..." -> 10.x.y.z
        String cidr = addr.split("inet ")[1].split(" ")[0];
        return cidr.substring(0, cidr.indexOf('/'));
    }

    @Test
    void twoContainersGetSubnetAddressesReachEachOtherAndGiveThemBack() {
        String a = start("jo-a");
        String b = start("jo-b");
        assertThat(a).isNotEqualTo(b);
        assertThat(host.lease.contains(Ip4.parse(a))).as("%s in %s", a, host.lease).isTrue();
        assertThat(host.lease.contains(Ip4.parse(b))).as("%s in %s", b, host.lease).isTrue();
        assertThat(host.reservations()).containsExactlyInAnyOrder(a, b);

        assertThat(podman(Duration.ofSeconds(30), "exec", "jo-a", "/bin/ping", "-c", "1", "-W", "2", b).exitCode()).as("a -> b").isZero();
        assertThat(podman(Duration.ofSeconds(30), "exec", "jo-b", "/bin/ping", "-c", "1", "-W", "2", a).exitCode()).as("b -> a").isZero();

        podmanOk("stop", "--time", "1", "jo-a");
        assertThat(host.reservations()).as("stop releases the address").containsExactly(b);
        podmanOk("rm", "jo-a");
        podmanOk("rm", "--force", "--time", "1", "jo-b");
        assertThat(host.reservations()).isEmpty();
        assertThat(host.hostLinks()).containsExactly(CniHost.BRIDGE);
        for (String ns : podmanNamespaces) {
            assertThat(Path.of(ns)).as("podman's container namespace is gone").doesNotExist();
        }
    }
}
