package io.javaoverlay.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.testkit.TestNamespace;

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
        return NamespaceSockets.peerAddressSeenBy(server, "peer-echo-" + port, "TCP-LISTEN:" + port + ",bind=" + serverIp, from,
                "TCP:" + serverIp + ":" + port);
    }
}
