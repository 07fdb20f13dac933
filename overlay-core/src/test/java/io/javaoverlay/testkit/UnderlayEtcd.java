package io.javaoverlay.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.awaitility.Awaitility;

import io.javaoverlay.core.lease.EtcdServerCommand;

/**
 * A single-member etcd inside a {@link TestNetwork}'s underlay namespace, listening on the
 * underlay bridge's address where every test host reaches it as it would an etcd on the LAN; its
 * data in the network's work directory. The data-path tests' etcd fixture (the loopback and
 * cluster fixture is {@link EtcdExtension}); it goes with the network's namespaces.
 */
public final class UnderlayEtcd {

    private final TestNetwork net;
    private final EtcdServerCommand command;
    private final List<String> clientTls;
    private TestProcess process;

    private UnderlayEtcd(TestNetwork net, EtcdServerCommand command, List<String> clientTls) {
        this.net = net;
        this.command = command;
        this.clientTls = List.copyOf(clientTls);
    }

    /** Plain http on {@code <underlay gateway>:2379}; {@code extra} etcd arguments. */
    public static UnderlayEtcd start(TestNetwork net, String name, String... extra) {
        String url = "http://" + net.underlayGateway() + ":2379";
        UnderlayEtcd etcd = new UnderlayEtcd(net, EtcdServerCommand.single(EtcdServerCommand.DEBIAN_ETCD, name,
                net.workDir().resolve("etcd"), url).with(extra), List.of());
        etcd.start();
        return etcd;
    }

    /** https with client certificates: the server's files and the CA; etcdctl uses the client's. */
    public static UnderlayEtcd startTls(TestNetwork net, String name, Path serverCert, Path serverKey, Path ca,
                                        Path clientCert, Path clientKey) {
        String url = "https://" + net.underlayGateway() + ":2379";
        UnderlayEtcd etcd = new UnderlayEtcd(net, EtcdServerCommand.single(EtcdServerCommand.DEBIAN_ETCD, name,
                net.workDir().resolve("etcd"), url).withTls(serverCert, serverKey, ca),
                List.of("--cacert", ca.toString(), "--cert", clientCert.toString(), "--key", clientKey.toString()));
        etcd.start();
        return etcd;
    }

    /** Starts (again, on the same data directory) and waits until etcd answers. */
    public void start() {
        process = net.underlay().start("etcd", command.args(), Map.of());
        Awaitility.await("etcd at " + url()).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> etcdctl("endpoint", "health").ok());
    }

    /** SIGTERM; the data stays. */
    public void stop() {
        process.stop();
    }

    public String url() {
        return command.clientUrl();
    }

    public Path dataDir() {
        return command.dataDir();
    }

    /** etcdctl inside the underlay namespace. */
    public ExecResult etcdctl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", url()));
        cmd.addAll(clientTls);
        cmd.addAll(List.of(args));
        return net.underlay().exec(cmd, Map.of(), null, Duration.ofSeconds(30));
    }
}
