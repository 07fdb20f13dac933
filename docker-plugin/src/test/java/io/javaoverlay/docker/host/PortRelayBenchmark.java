package io.javaoverlay.docker.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.javaoverlay.docker.state.PortMapping;

/**
 * The {@code ::1} relay next to Docker's own userland proxy ({@code /usr/sbin/docker-proxy}, when
 * installed) and next to no relay at all, in one run, alternating so all see the same machine
 * load: TCP throughput of one stream, and the time of a short connection (connect, one byte
 * each way, close). Everything on this namespace's loopback: {@code [::1]} to {@code 127.0.0.1},
 * what a container without IPv6 gets. Not part of {@code mvn test} (the name does not end in
 * Test); run it with
 * {@code mvn -B -o -pl docker-plugin test -Dtest=PortRelayBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Djavaoverlay.bench.rounds=N}, default 7; {@code -Djavaoverlay.bench.mib=M}, default
 * 256). Prints a markdown table and writes it to {@code docker-plugin/target/relay-bench.md}.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class PortRelayBenchmark {

    static final Path DOCKER_PROXY = Path.of("/usr/sbin/docker-proxy");

    @Test
    void relayNextToDockerProxyAndNoRelay() throws Exception {
        int rounds = Integer.getInteger("javaoverlay.bench.rounds", 7);
        long bytes = Long.getLong("javaoverlay.bench.mib", 256) * 1024 * 1024;
        int shortConnections = 500;
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        InetAddress v6 = InetAddress.getByName("::1");
        try (ServerSocket sink = TestTcpServer.start(v4, PortRelayBenchmark::sink);
                ServerSocket echo = TestTcpServer.start(v4, PortRelayBenchmark::echoOne)) {
            PortRelay.Limits limits = PortRelay.Limits.standard();
            try (PortRelay sinkRelay = PortRelay.open(PortMapping.Protocol.TCP, new InetSocketAddress(v6, 0),
                    (InetSocketAddress) sink.getLocalSocketAddress(), limits);
                 PortRelay echoRelay = PortRelay.open(PortMapping.Protocol.TCP, new InetSocketAddress(v6, 0),
                         (InetSocketAddress) echo.getLocalSocketAddress(), limits)) {
                Map<String, InetSocketAddress[]> paths = new LinkedHashMap<>();
                paths.put("no relay (127.0.0.1 directly)", new InetSocketAddress[] {
                    (InetSocketAddress) sink.getLocalSocketAddress(), (InetSocketAddress) echo.getLocalSocketAddress()});
                paths.put("javaoverlay relay ([::1] to 127.0.0.1)", new InetSocketAddress[] {sinkRelay.listening(), echoRelay.listening()});
                List<Process> proxies = new ArrayList<>();
                try {
                    if (Files.isExecutable(DOCKER_PROXY)) {
                        InetSocketAddress ps = dockerProxy(proxies, v6, sink.getLocalPort());
                        InetSocketAddress pe = dockerProxy(proxies, v6, echo.getLocalPort());
                        paths.put("docker-proxy ([::1] to 127.0.0.1)", new InetSocketAddress[] {ps, pe});
                    }
                    Map<String, List<Double>> mbps = new LinkedHashMap<>();
                    Map<String, List<Double>> micros = new LinkedHashMap<>();
                    for (int round = -1; round < rounds; round++) { // round -1 warms up, untimed
                        for (Map.Entry<String, InetSocketAddress[]> p : paths.entrySet()) {
                            double rate = throughput(p.getValue()[0], bytes / (round < 0 ? 4 : 1));
                            double us = shortConnection(p.getValue()[1], round < 0 ? 100 : shortConnections);
                            if (round >= 0) {
                                mbps.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(rate);
                                micros.computeIfAbsent(p.getKey(), k -> new ArrayList<>()).add(us);
                            }
                        }
                    }
                    StringBuilder table = new StringBuilder();
                    table.append("| path | TCP MB/s (median of ").append(rounds).append(") | short connection µs (median) |\n");
                    table.append("| --- | --- | --- |\n");
                    for (String k : paths.keySet()) {
                        table.append(String.format("| %s | %.0f | %.0f |%n", k, median(mbps.get(k)), median(micros.get(k))));
                    }
                    String relay = "javaoverlay relay ([::1] to 127.0.0.1)";
                    String proxy = "docker-proxy ([::1] to 127.0.0.1)";
                    if (mbps.containsKey(proxy)) {
                        table.append(String.format("| ratio relay / docker-proxy | %.2f | %.2f |%n",
                                median(mbps.get(relay)) / median(mbps.get(proxy)), median(micros.get(relay)) / median(micros.get(proxy))));
                    }
                    System.out.println(table);
                    Files.writeString(Path.of("target", "relay-bench.md"), table);
                    assertThat(median(mbps.get(relay))).isPositive();
                } finally {
                    for (Process p : proxies) {
                        p.destroy();
                        if (!p.waitFor(5, TimeUnit.SECONDS)) {
                            p.destroyForcibly();
                        }
                    }
                }
            }
        }
    }

    /** Reads to the end, then answers the count. */
    private static void sink(Socket s) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long n = 0;
        InputStream in = s.getInputStream();
        for (int r; (r = in.read(buf)) >= 0;) {
            n += r;
        }
        new DataOutputStream(s.getOutputStream()).writeLong(n);
    }

    private static void echoOne(Socket s) throws IOException {
        int b = s.getInputStream().read();
        if (b >= 0) {
            s.getOutputStream().write(b);
        }
    }

    /** MB/s (10^6) of {@code bytes} sent to the end and confirmed. */
    private static double throughput(InetSocketAddress to, long bytes) throws IOException {
        byte[] buf = new byte[256 * 1024];
        long start = System.nanoTime();
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            OutputStream out = s.getOutputStream();
            for (long left = bytes; left > 0; left -= buf.length) {
                out.write(buf, 0, (int) Math.min(buf.length, left));
            }
            s.shutdownOutput();
            long got = new DataInputStream(s.getInputStream()).readLong();
            if (got != bytes) {
                throw new IOException("sent " + bytes + ", the sink got " + got);
            }
        }
        return bytes / ((System.nanoTime() - start) / 1e9) / 1e6;
    }

    /** Median µs of connect, one byte each way, close. */
    private static double shortConnection(InetSocketAddress to, int count) throws IOException {
        List<Double> us = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long start = System.nanoTime();
            try (Socket s = new Socket(to.getAddress(), to.getPort())) {
                s.getOutputStream().write(1);
                if (s.getInputStream().read() != 1) {
                    throw new IOException("no echo from " + to);
                }
            }
            us.add((System.nanoTime() - start) / 1e3);
        }
        return median(us);
    }

    /** docker-proxy on [::1] and a free port, to 127.0.0.1:containerPort; started here and stopped by the caller. */
    private static InetSocketAddress dockerProxy(List<Process> started, InetAddress v6, int containerPort) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, v6)) {
            port = probe.getLocalPort();
        }
        // docker-proxy reports readiness on fd 3, as dockerd starts it, and closes that fd: give it one, or it closes its listener
        Process p = new ProcessBuilder("sh", "-c", "exec " + DOCKER_PROXY + " -proto tcp -host-ip ::1 -host-port " + port
                + " -container-ip 127.0.0.1 -container-port " + containerPort + " 3>/dev/null")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        started.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket(v6, port)) {
                return new InetSocketAddress(v6, port);
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !p.isAlive()) {
                    throw new IOException("docker-proxy did not listen on [::1]:" + port, e);
                }
                Thread.sleep(50);
            }
        }
    }

    private static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
