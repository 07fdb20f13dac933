package io.javaoverlay.cli.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import io.javaoverlay.testkit.Exec;

/**
 * The root filesystem of a busybox image, made from the machine's busybox-static (one static
 * binary, a symlink per applet), as a tarball for {@code docker import}. Built once per JVM.
 */
final class BusyboxImage {

    static final Path BUSYBOX = Path.of("/bin/busybox");

    private static Path tarball;

    private BusyboxImage() {}

    static synchronized Path tarball() throws IOException {
        if (tarball != null) {
            return tarball;
        }
        Path dir = Files.createTempDirectory("jo-busybox-");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        Path root = dir.resolve("rootfs");
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("tmp"));
        Files.copy(BUSYBOX, bin.resolve("busybox"));
        for (String applet : Exec.ok(BUSYBOX.toString(), "--list").split("\\s+")) {
            if (!applet.isBlank() && !applet.equals("busybox")) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
        }
        Path tar = dir.resolve("busybox.tar");
        Exec.ok("tar", "-C", root.toString(), "-cf", tar.toString(), ".");
        tarball = tar;
        return tar;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at JVM exit
        }
    }
}
