package io.javaoverlay.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;

import io.javaoverlay.core.lease.EtcdServerCommand;

/**
 * A real etcd (Debian's {@code etcd-server}, {@code /usr/bin/etcd}) for a test class: started as
 * child processes on free 127.0.0.1 ports with a temporary data directory, stopped by PID and
 * deleted afterwards.
 *
 * <pre>
 * &#64;RegisterExtension
 * static final EtcdExtension etcd = EtcdExtension.builder().build();            // one member
 * static final EtcdExtension tls = EtcdExtension.builder().tls(true).build();   // https, client certs
 * static final EtcdExtension ha = EtcdExtension.builder().members(3).build();   // a 3-member cluster
 * </pre>
 *
 * A test may {@link #stop()} and {@link #start()} the cluster (same data directories and ports),
 * or run it for a while on other client ports ({@link #startIsolated()}) so that clients holding
 * the usual endpoints see an outage while the test still changes and compacts the data.
 * In TLS mode the test makes its own CA with the {@code openssl} CLI; {@link #caFile()},
 * {@link #clientCertFile()} and {@link #clientKeyFile()} are what a client presents.
 */
public final class EtcdExtension implements BeforeAllCallback, AfterAllCallback {

    private static final Path ETCD = EtcdServerCommand.DEBIAN_ETCD;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final int memberCount;
    private final boolean tls;
    private final boolean clientCertAuth;
    private final List<Member> members = new ArrayList<>();
    private final String token = "jo-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    private Path root;
    private TlsFiles tlsFiles;
    private Client client;

    private EtcdExtension(Builder b) {
        this.memberCount = b.members;
        this.tls = b.tls;
        this.clientCertAuth = b.clientCertAuth;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private int members = 1;
        private boolean tls;
        private boolean clientCertAuth = true;

        /** Number of members: 1 (default) or 3 for failover tests. */
        public Builder members(int n) {
            if (n < 1 || n > 5) {
                throw new IllegalArgumentException("members must be 1-5, got " + n);
            }
            this.members = n;
            return this;
        }

        /** Serve clients over https with client-certificate authentication, from a CA the test makes. */
        public Builder tls(boolean on) {
            this.tls = on;
            return this;
        }

        /** In TLS mode, whether etcd demands a client certificate (default) or only serves https. */
        public Builder clientCertAuth(boolean on) {
            this.clientCertAuth = on;
            return this;
        }

        public EtcdExtension build() {
            return new EtcdExtension(this);
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Requirements.check().executable(ETCD.toString(), "etcd-server").orAbort();
        if (tls) {
            Requirements.check().executable("/usr/bin/openssl", "openssl").orAbort();
        }
        root = Files.createTempDirectory(token + "-etcd-");
        if (tls) {
            tlsFiles = TlsFiles.create(root.resolve("pki"));
        }
        for (int i = 0; i < memberCount; i++) {
            members.add(new Member("m" + i, root.resolve("m" + i), freePort(), freePort()));
        }
        try {
            start();
        } catch (Exception | Error e) {
            afterAll(context);
            throw e;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (client != null) {
                client.close();
                client = null;
            }
        } finally {
            try {
                stop();
            } finally {
                deleteTree(root);
            }
        }
    }

    /** Starts every member (again, after {@link #stop()}: same data and ports) and waits until etcd answers. */
    public void start() {
        startMembers(false);
    }

    /**
     * Starts the members on fresh client ports that no client knows about and returns a client for
     * them: to clients using {@link #endpoints()} etcd is down, while the test changes the data
     * (and compacts it). Call {@link #stop()} and {@link #start()} afterwards to end the outage.
     */
    public Client startIsolated() {
        startMembers(true);
        return newClient(members.stream().map(m -> url(m.isolatedClientPort)).toList());
    }

    private void startMembers(boolean isolated) {
        String cluster = members.stream().map(m -> m.name + "=http://127.0.0.1:" + m.peerPort).collect(Collectors.joining(","));
        for (Member m : members) {
            if (isolated) {
                m.isolatedClientPort = freePort();
            }
            m.start(cluster, isolated);
        }
        List<String> urls = members.stream().map(m -> url(isolated ? m.isolatedClientPort : m.clientPort)).toList();
        awaitHealthy(urls);
    }

    /**
     * Rebuilds etcd empty, as an operator recovering from lost data would: every member stopped,
     * its data directory removed, and started again on the same ports.
     */
    public synchronized void wipe() throws IOException {
        stop();
        for (Member m : members) {
            deleteTree(m.dir.resolve("data"));
            m.initialized = false; // a new cluster: "new", not "existing"
        }
        if (client != null) {
            client.close();
            client = null;
        }
        start();
    }

    /** Stops every member (SIGTERM, then SIGKILL after 10 s); the data directories stay. */
    public void stop() {
        for (Member m : members) {
            m.stop();
        }
    }

    /** Stops one member of a cluster, by index. */
    public void stop(int member) {
        members.get(member).stop();
    }

    /** Starts one stopped member again, by index (no health wait: a lone member of three has no quorum). */
    public void start(int member) {
        String cluster = members.stream().map(m -> m.name + "=http://127.0.0.1:" + m.peerPort).collect(Collectors.joining(","));
        members.get(member).start(cluster, false);
    }

    /** Client URLs, one per member: {@code http://127.0.0.1:PORT} (https in TLS mode). */
    public List<String> endpoints() {
        return members.stream().map(m -> url(m.clientPort)).toList();
    }

    /** The endpoints as flannel's comma-separated {@code --etcd-endpoints} value. */
    public String endpointsFlag() {
        return String.join(",", endpoints());
    }

    public boolean isTls() {
        return tls;
    }

    public Path caFile() {
        return requireTls().ca;
    }

    /** The CA's key, for tests that issue their own client certificates (key forms, chains). */
    public Path caKeyFile() {
        return requireTls().ca.resolveSibling("ca.key");
    }

    public Path clientCertFile() {
        return requireTls().clientCert;
    }

    public Path clientKeyFile() {
        return requireTls().clientKey;
    }

    /** A shared jetcd client for the test (closed after the class); in TLS mode it presents the client cert. */
    public synchronized Client client() {
        if (client == null) {
            client = newClient(endpoints());
        }
        return client;
    }

    /** A new jetcd client the caller closes. */
    public Client newClient(List<String> urls) {
        ClientBuilder b = Client.builder().endpoints(urls.toArray(String[]::new))
                .connectTimeout(Duration.ofSeconds(2))
                .retryMaxDuration(Duration.ofSeconds(10));
        if (tls) {
            TlsFiles t = tlsFiles;
            try {
                b.sslContext(ssl -> ssl.trustManager(t.ca.toFile()).keyManager(t.clientCert.toFile(), t.clientKey.toFile()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot build the TLS context for the test's etcd client", e);
            }
        }
        return b.build();
    }

    /** Where member {@code i}'s log goes: read it when a test fails. */
    public Path logFile(int member) {
        return members.get(member).dir.resolve("etcd.log");
    }

    /** PID of a running member, for tests that must pause it. */
    public long pid(int member) {
        Process p = members.get(member).process;
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException("etcd member " + member + " is not running");
        }
        return p.pid();
    }

    private TlsFiles requireTls() {
        if (tlsFiles == null) {
            throw new IllegalStateException("this etcd was not built with tls(true)");
        }
        return tlsFiles;
    }

    private String url(int port) {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }

    private void awaitHealthy(List<String> urls) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        Exception last = null;
        try (Client probe = newClient(urls)) {
            while (System.nanoTime() < deadline) {
                for (Member m : members) {
                    if (m.process != null && !m.process.isAlive()) {
                        throw new IllegalStateException("etcd " + m.name + " exited with " + m.process.exitValue() + "; log:\n" + tail(m));
                    }
                }
                try {
                    probe.getKVClient().get(ByteSequence.from("/health-probe", StandardCharsets.UTF_8)).get(2, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    last = e;
                    Pause.sleep(100, "waiting for etcd");
                }
            }
        }
        throw new IllegalStateException("etcd at " + urls + " did not answer within " + START_TIMEOUT + " (last error: " + last
                + "); log:\n" + tail(members.get(0)));
    }

    private static String tail(Member m) {
        try {
            List<String> lines = Files.readAllLines(m.dir.resolve("etcd.log"));
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private final class Member {
        final String name;
        final Path dir;
        final int clientPort;
        final int peerPort;
        int isolatedClientPort;
        Process process;
        boolean initialized;

        Member(String name, Path dir, int clientPort, int peerPort) {
            this.name = name;
            this.dir = dir;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }

        void start(String cluster, boolean isolated) {
            if (process != null && process.isAlive()) {
                return;
            }
            try {
                Files.createDirectories(dir);
                String clientUrl = url(isolated ? isolatedClientPort : clientPort);
                String peerUrl = "http://127.0.0.1:" + peerPort;
                EtcdServerCommand command = EtcdServerCommand.single(ETCD, name, dir.resolve("data"), clientUrl)
                        .inCluster(peerUrl, cluster)
                        .with("--initial-cluster-token", token,
                                "--initial-cluster-state", initialized ? "existing" : "new",
                                // short raft timers: members elect a leader in well under a second on loopback
                                "--heartbeat-interval", "50",
                                "--election-timeout", "500",
                                "--logger", "zap",
                                "--log-level", "warn");
                if (tls) {
                    command = command.withTls(tlsFiles.serverCert, tlsFiles.serverKey, clientCertAuth ? tlsFiles.ca : null);
                }
                List<String> cmd = command.args();
                ProcessBuilder pb = new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("etcd.log").toFile()));
                pb.environment().keySet().removeIf(k -> k.startsWith("ETCD"));
                process = pb.start();
                initialized = true;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + ETCD, e);
            }
        }

        void stop() {
            Process p = process;
            if (p == null) {
                return;
            }
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** The CA, server and client certificates of a TLS-mode cluster, made with the openssl CLI. */
    private record TlsFiles(Path ca, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {

        static TlsFiles create(Path dir) throws IOException, InterruptedException {
            Files.createDirectories(dir);
            Path caKey = dir.resolve("ca.key");
            Path ca = dir.resolve("ca.pem");
            Openssl.run(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=javaoverlay test CA",
                    "-keyout", caKey.toString(), "-out", ca.toString());
            Path serverKey = issue(dir, "server", ca, caKey, "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth");
            Path clientKey = issue(dir, "client", ca, caKey, "extendedKeyUsage=clientAuth");
            return new TlsFiles(ca, dir.resolve("server.pem"), serverKey, dir.resolve("client.pem"), clientKey);
        }

        private static Path issue(Path dir, String name, Path ca, Path caKey, String extensions) throws IOException, InterruptedException {
            Path key = dir.resolve(name + ".key");
            Path csr = dir.resolve(name + ".csr");
            Path ext = dir.resolve(name + ".ext");
            Files.writeString(ext, extensions + "\n");
            // PKCS#8 keys (openssl 3's default): netty reads them without BouncyCastle
            Openssl.run(dir, "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", key.toString(), "-out", csr.toString());
            Openssl.run(dir, "x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
                    "-days", "2", "-extfile", ext.toString(), "-out", dir.resolve(name + ".pem").toString());
            return key;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on 127.0.0.1", e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
