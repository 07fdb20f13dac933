package io.javaoverlay.core.lease;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of an etcd server member, spelled once for every place javaoverlay starts one:
 * {@code demo --store etcd} and the test kit's fixtures (a member on loopback, a cluster of three,
 * one on a namespace underlay, with or without TLS).
 *
 * @param executable   the etcd binary (Debian's {@code etcd-server}: {@code /usr/bin/etcd})
 * @param name         the member's name
 * @param dataDir      its data directory
 * @param clientUrl    where clients connect ({@code http://10.0.0.1:2379}), listened on and advertised
 * @param peerUrl      where members talk; a single member needs it only for itself: loopback
 * @param initialCluster {@code name=peerUrl,...}: this member alone unless it joins a cluster
 * @param extra        anything else ({@code --max-txn-ops}, TLS files, raft timers)
 */
public record EtcdServerCommand(Path executable, String name, Path dataDir, String clientUrl, String peerUrl,
                                String initialCluster, List<String> extra) {

    /** Debian's etcd-server package. */
    public static final Path DEBIAN_ETCD = Path.of("/usr/bin/etcd");

    public EtcdServerCommand {
        extra = List.copyOf(extra);
    }

    /** A single member on {@code clientUrl}, its peer port on loopback. */
    public static EtcdServerCommand single(Path executable, String name, Path dataDir, String clientUrl) {
        String peer = "http://127.0.0.1:2380";
        return new EtcdServerCommand(executable, name, dataDir, clientUrl, peer, name + "=" + peer, List.of());
    }

    /** This member with its peer URL and the whole cluster's {@code name=peerUrl,...}. */
    public EtcdServerCommand inCluster(String peer, String cluster) {
        return new EtcdServerCommand(executable, name, dataDir, clientUrl, peer, cluster, extra);
    }

    /** With more arguments. */
    public EtcdServerCommand with(String... args) {
        List<String> more = new ArrayList<>(extra);
        more.addAll(List.of(args));
        return new EtcdServerCommand(executable, name, dataDir, clientUrl, peerUrl, initialCluster, more);
    }

    /** Served over TLS with {@code cert}/{@code key}; with a {@code ca}, clients must show a certificate it signed. */
    public EtcdServerCommand withTls(Path cert, Path key, Path ca) {
        EtcdServerCommand c = with("--cert-file", cert.toString(), "--key-file", key.toString());
        // etcd 3.4 asks for a client certificate whenever it has a trusted CA file
        return ca == null ? c : c.with("--trusted-ca-file", ca.toString(), "--client-cert-auth");
    }

    /** The command line. */
    public List<String> args() {
        List<String> cmd = new ArrayList<>(List.of(executable.toString(),
                "--name", name,
                "--data-dir", dataDir.toString(),
                "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl,
                "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", initialCluster));
        cmd.addAll(extra);
        return cmd;
    }
}
