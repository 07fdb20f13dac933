package io.javaoverlay.core.firewall;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs one firewall tool ({@code iptables}, {@code nft}) to the end: stdin given or
 * {@code /dev/null}, stdout and stderr read whole (stderr on a thread of its own, so a tool that
 * fills one pipe never blocks on the other). The one place both tools' processes are run.
 */
final class ToolProcess {

    /** What the tool answered. */
    record Result(int status, String stdout, String stderr) {}

    private ToolProcess() {}

    /**
     * @param stdin what the tool reads, or null for none
     * @throws IOException when the tool cannot be started or fed (not installed, not executable)
     */
    static Result run(List<String> cmd, String stdin) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        try {
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = readAll(p.getInputStream());
            int status = p.waitFor();
            return new Result(status, out, err.join());
        } catch (IOException e) {
            p.destroy();
            throw e;
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", cmd), e);
        }
    }

    private static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
