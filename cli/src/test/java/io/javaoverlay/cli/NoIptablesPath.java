package io.javaoverlay.cli;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestNamespace;
import io.javaoverlay.testkit.TestProcess;

/** For tests of hosts without iptables: a PATH that lacks it, and a probe of the source address a peer sees. */
final class NoIptablesPath {

    private NoIptablesPath() {}

    /** A directory of links to every command on this machine's PATH except iptables and its kin. */
    static Path create() {
        return without(name -> name.contains("tables"));
    }

    /** A directory of links to every command on this machine's PATH except those whose name {@code left} picks. */
    static Path without(java.util.function.Predicate<String> left) {
        try {
            Path dir = Files.createTempDirectory("jo-no-iptables-");
            for (String d : System.getenv("PATH").split(":")) {
                Path p = Path.of(d);
                if (!Files.isDirectory(p)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(p)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        String name = f.getFileName().toString();
                        Path link = dir.resolve(name);
                        // the first of a name on PATH wins, as in a shell
                        boolean taken = Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                        if (!left.test(name) && Files.isExecutable(f) && !Files.isDirectory(f) && !taken) {
                            Files.createSymbolicLink(link, f.toAbsolutePath());
                        }
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void remove(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /**
     * Connects from {@code from} to a socat listener in {@code server} that answers with the
     * address it saw the connection come from.
     */
    static String sourceSeenBy(TestNamespace server, Ip4 serverIp, TestNamespace from, int port) {
        TestProcess listener = server.start("peer-echo-" + port, "socat", "TCP-LISTEN:" + port + ",bind=" + serverIp + ",reuseaddr,fork",
                "SYSTEM:echo $SOCAT_PEERADDR");
        try {
            String[] seen = new String[1];
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> {
                var r = from.exec(Duration.ofSeconds(5), "socat", "-T", "3", "-", "TCP:" + serverIp + ":" + port + ",connect-timeout=2");
                seen[0] = r.stdout().strip();
                return r.ok() && !seen[0].isEmpty();
            });
            return seen[0];
        } finally {
            listener.stop();
        }
    }
}
