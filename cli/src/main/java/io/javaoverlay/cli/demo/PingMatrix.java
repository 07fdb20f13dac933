package io.javaoverlay.cli.demo;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.javaoverlay.core.process.Commands;

/**
 * Pings every container from every other container, across hosts, and renders the result as a
 * matrix. Each pair first waits until one ping gets through (peers appear at the agents within
 * a second or two of each other), then sends {@link #COUNT} pings whose loss and average round
 * trip are shown.
 */
final class PingMatrix {

    static final int COUNT = 3;
    private static final Pattern RECEIVED = Pattern.compile("(\\d+) packets transmitted, (\\d+) (?:packets )?received");
    private static final Pattern RTT = Pattern.compile("= [\\d.]+/([\\d.]+)/");

    /** One pair's outcome: pings received of {@link #COUNT}, and the average round trip when any came back. */
    record Cell(int received, Optional<Double> avgMillis) {
        boolean ok() {
            return received == COUNT;
        }

        String render() {
            if (received == 0) {
                return "FAIL (no reply)";
            }
            String rtt = avgMillis.map(a -> String.format("%.2f ms", a)).orElse("?");
            return received == COUNT ? rtt : rtt + " (" + received + "/" + COUNT + ")";
        }
    }

    private final Cell[][] cells;
    private final List<DemoHost> hosts;

    private PingMatrix(List<DemoHost> hosts) {
        this.hosts = hosts;
        this.cells = new Cell[hosts.size()][hosts.size()];
    }

    static PingMatrix run(Sandbox sandbox, List<DemoHost> hosts, Duration convergence, Progress progress) {
        PingMatrix m = new PingMatrix(hosts);
        long deadline = System.nanoTime() + convergence.toNanos();
        for (DemoHost from : hosts) {
            for (DemoHost to : hosts) {
                if (from != to) {
                    awaitFirstReply(sandbox, from, to, deadline, progress);
                }
            }
        }
        for (int i = 0; i < hosts.size(); i++) {
            for (int j = 0; j < hosts.size(); j++) {
                if (i != j) {
                    m.cells[i][j] = ping(hosts.get(i), hosts.get(j), COUNT);
                }
            }
        }
        return m;
    }

    private static void awaitFirstReply(Sandbox sandbox, DemoHost from, DemoHost to, long deadline, Progress progress) {
        while (System.nanoTime() < deadline && !sandbox.isClosed()) {
            if (ping(from, to, 1).received() > 0) {
                return;
            }
            progress.tick();
        }
    }

    private static Cell ping(DemoHost from, DemoHost to, int count) {
        Commands.Result r = Command.run(List.of("ip", "netns", "exec", from.containerNs, "ping", "-n", "-q",
                "-c", Integer.toString(count), "-i", "0.2", "-W", "1", to.containerIp.toString()), Duration.ofSeconds(30));
        Matcher rec = RECEIVED.matcher(r.stdout());
        int received = rec.find() ? Integer.parseInt(rec.group(2)) : 0;
        Matcher rtt = RTT.matcher(r.stdout());
        Optional<Double> avg = rtt.find() ? Optional.of(Double.parseDouble(rtt.group(1))) : Optional.empty();
        return new Cell(received, avg);
    }

    int total() {
        return hosts.size() * (hosts.size() - 1);
    }

    int succeeded() {
        int n = 0;
        for (int i = 0; i < hosts.size(); i++) {
            for (int j = 0; j < hosts.size(); j++) {
                if (i != j && cells[i][j].ok()) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The matrix as text: rows are senders, columns receivers, each labelled with its container address. */
    String render() {
        int n = hosts.size();
        String[][] t = new String[n + 1][n + 1];
        t[0][0] = "from \\ to";
        for (int i = 0; i < n; i++) {
            String label = hosts.get(i).name + " " + hosts.get(i).containerIp;
            t[0][i + 1] = label;
            t[i + 1][0] = label;
            for (int j = 0; j < n; j++) {
                t[i + 1][j + 1] = i == j ? "-" : cells[i][j].render();
            }
        }
        int[] width = new int[n + 1];
        for (String[] row : t) {
            for (int c = 0; c <= n; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] row : t) {
            StringBuilder line = new StringBuilder("         ");
            for (int c = 0; c <= n; c++) {
                line.append(String.format("%-" + (width[c] + 3) + "s", row[c]));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString().stripTrailing();
    }
}
