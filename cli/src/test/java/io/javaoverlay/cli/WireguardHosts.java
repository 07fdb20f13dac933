package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntFunction;

import org.awaitility.core.ThrowingRunnable;

import io.javaoverlay.testkit.Exec;
import io.javaoverlay.testkit.ExecResult;
import io.javaoverlay.testkit.TestHost;
import io.javaoverlay.testkit.TestProcess;

/**
 * What namespace hosts on one machine need to run the wireguard backend on wireguard-go: each
 * agent its own key file (the hosts share the file system, and flannel's default key file is one
 * path), and its own {@code /run/wireguard}, where wireguard-go and {@code wg} meet at
 * {@code flannel-wg.sock}: a directory of the host's, bind-mounted there in the mount namespace
 * that {@code ip netns exec} gives the agent (mounts made there do not reach the machine's own).
 */
public final class WireguardHosts {

    /** The backend's device: in the one-device modes it carries both families. */
    static final String DEV = "flannel-wg";

    private static final Path RUN_WIREGUARD = Path.of("/run/wireguard");

    private WireguardHosts() {}

    /**
     * {@code cluster} with the commands it needs checked, a key file per host and a private
     * /run/wireguard per agent; after the teardown, /run/wireguard goes again if this run made it
     * ({@link #removeMountPoint}).
     */
    static OverlayCluster configure(OverlayCluster cluster) {
        boolean runWireguardExisted = Files.exists(RUN_WIREGUARD);
        return cluster
                .requiring(r -> r.command("wg", "wireguard-tools").command("wireguard-go", "wireguard-go").command("tcpdump", "tcpdump")
                        .command("nsenter", "util-linux"))
                .withHostAgentEnv(n -> Map.of("WIREGUARD_KEY_FILE", keyFile(cluster, n).toString()))
                .withAgentWrapper(n -> privateRunWireguard(cluster.hostDir(n).resolve("run-wireguard")))
                .afterTeardown(() -> removeMountPoint(runWireguardExisted));
    }

    /**
     * Three hosts of a dual-stack network with {@code network6} running wireguard in flannel's
     * {@code "Mode": mode}, configured as above; none starts an agent by itself (each gets its IPv6
     * underlay address first: {@link DualStackHosts#bringUp}).
     */
    static OverlayCluster dualStackMode(String mode, String network6) {
        return configure(OverlayCluster.of("{\"Type\":\"wireguard\",\"Mode\":\"" + mode + "\"}", 3, 0).withIpv6Network(network6));
    }

    static Path keyFile(OverlayCluster cluster, int n) {
        return cluster.hostDir(n).resolve("wgkey");
    }

    /** What {@code wg pubkey} says the key in host {@code n}'s key file gives. */
    static String publicKeyOfKeyFile(OverlayCluster cluster, int n) throws IOException {
        return Exec.run(List.of("wg", "pubkey"), Map.of(), Files.readString(keyFile(cluster, n)), Duration.ofSeconds(10)).orThrow().stdout().strip();
    }

    /**
     * Host {@code n}'s lease as flannel v0.28 writes it for a dual-stack wireguard host: its
     * underlay addresses, and the key file's key in both data fields with ListenPort and ListenPortV6.
     */
    static String dualStackLease(OverlayCluster cluster, int n) throws IOException {
        String key = publicKeyOfKeyFile(cluster, n);
        return "{\"PublicIP\":\"" + cluster.host(n).underlayIp() + "\",\"PublicIPv6\":\"" + DualStackHosts.underlay6(n)
                + "\",\"BackendType\":\"wireguard\",\"BackendData\":{\"PublicKey\":\"" + key + "\",\"Port\":51820},"
                + "\"BackendV6Data\":{\"PublicKey\":\"" + key + "\",\"Port\":51821}}";
    }

    /**
     * Waits (10 s at most) until host {@code self}'s peers on {@code dev} are the other hosts of 1
     * to 3, each at {@code endpoint.apply(peer)} with its IPv4 and IPv6 subnets as AllowedIPs.
     */
    static void awaitPeersWithBothSubnets(OverlayCluster cluster, int self, String dev, IntFunction<String> endpoint) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            Set<String> peers = new TreeSet<>();
            dump(cluster, self, dev).stream().skip(1).forEach(p -> peers.add(p[2] + " " + new TreeSet<>(List.of(p[3].split(",")))));
            Set<String> want = new TreeSet<>();
            for (int peer = 1; peer <= 3; peer++) {
                if (peer != self) {
                    want.add(endpoint.apply(peer) + " " + new TreeSet<>(List.of(cluster.subnet(peer).toString(),
                            cluster.lease6(peer).toString())));
                }
            }
            assertThat(peers).isEqualTo(want);
        });
    }

    /** {@code sh -c} that bind-mounts {@code dir} on /run/wireguard and execs the rest of the command. */
    public static List<String> privateRunWireguard(Path dir) {
        return List.of("sh", "-c", "mkdir -p /run/wireguard \"$0\" && mount --bind \"$0\" /run/wireguard && exec \"$@\"", dir.toString());
    }

    /** {@code wg} on host {@code n}, in its agent's mount namespace (where /run/wireguard is that host's). */
    public static ExecResult wg(AgentCluster cluster, int n, String stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "-t", Long.toString(cluster.agent(n).pid()), "-m", "-n", "wg"));
        cmd.addAll(List.of(args));
        return Exec.run(cmd, Map.of(), stdin, Duration.ofSeconds(20));
    }

    /** Lines of {@code wg show <dev> dump} on host {@code n}, split at tabs: the interface's first, then one per peer; none when wg fails. */
    public static List<String[]> dump(AgentCluster cluster, int n, String dev) {
        ExecResult r = wg(cluster, n, null, "show", dev, "dump");
        return r.ok() ? r.stdout().lines().map(l -> l.split("\t")).toList() : List.of();
    }

    /**
     * What {@code tcpdump -nn -l -U <args>} on {@code host}'s underlay printed while {@code traffic}
     * ran: started and ready before it, stopped 300 ms after (the last packets printed).
     */
    static List<String> underlayDuring(TestHost host, String name, List<String> args, ThrowingRunnable traffic) throws Throwable {
        List<String> cmd = new ArrayList<>(List.of("tcpdump", "-i", host.underlayInterface(), "-nn", "-l", "-U"));
        cmd.addAll(args);
        TestProcess dump = host.start(name, cmd.toArray(String[]::new));
        await().atMost(Duration.ofSeconds(10)).until(() -> dump.log().contains("listening on"));
        traffic.run();
        Thread.sleep(300);
        dump.stop();
        return dump.log().lines().toList();
    }

    /** tcpdump's packet lines, IPv4 and IPv6. */
    static List<String> ipPackets(List<String> tcpdump) {
        return tcpdump.stream().filter(l -> l.contains(" IP ") || l.contains(" IP6 ")).toList();
    }

    /**
     * Removes /run/wireguard when this run made it (it was missing before), it is empty, and no
     * process anywhere has something mounted on it: removing a directory that is a mount point in
     * another mount namespace detaches that mount, which would cut another run's agents (a
     * concurrent test or bench-datapath) off their wireguard-go.
     */
    /** Whether /run/wireguard exists now: what {@link #removeMountPoint} is told after the teardown. */
    public static boolean runWireguardExists() {
        return Files.exists(RUN_WIREGUARD);
    }

    /** Removes /run/wireguard after a teardown, unless it {@code existedBefore} or another run still uses it. */
    public static void removeMountPoint(boolean existedBefore) {
        if (existedBefore) {
            return;
        }
        try {
            try (var s = Files.list(RUN_WIREGUARD)) {
                if (s.findAny().isPresent()) {
                    return;
                }
            } catch (NoSuchFileException e) {
                return;
            }
            if (mountedSomewhere()) {
                return;
            }
            Files.delete(RUN_WIREGUARD);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether a mount point at /run/wireguard is in any process's mount table (field 5 of mountinfo). */
    private static boolean mountedSomewhere() throws IOException {
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                if (!proc.getFileName().toString().chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    for (String line : Files.readAllLines(proc.resolve("mountinfo"))) {
                        String[] f = line.split(" ");
                        if (f.length > 4 && f[4].equals(RUN_WIREGUARD.toString())) {
                            return true;
                        }
                    }
                } catch (IOException e) {
                    // the process ended meanwhile, or its table cannot be read: nothing mounted there for us to cut
                }
            }
        }
        return false;
    }
}
