package io.javaoverlay.core.firewall;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one external tool ({@code iptables}, {@code nft}, the wireguard backend's {@code wg}) to
 * the end: stdin given or {@code /dev/null}, stdout and stderr read whole (stderr on a thread of
 * its own, so a tool that fills one pipe never blocks on the other). The one place the agent runs
 * a tool and waits for it.
 */
public final class ToolProcess {

    /** What the tool answered. */
    public record Result(int status, String stdout, String stderr) {}

    private ToolProcess() {}

    /**
     * @param stdin what the tool reads, or null for none
     * @throws IOException when the tool cannot be started or fed (not installed, not executable)
     */
    public static Result run(List<String> cmd, String stdin) throws IOException {
        return run(cmd, stdin, null);
    }

    /**
     * As {@link #run(List, String)}, but a tool still running after {@code timeout} is killed
     * (SIGKILL, by its PID) and reported as an {@link IOException}; null waits for ever.
     */
    public static Result run(List<String> cmd, String stdin, Duration timeout) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        try {
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
            CompletableFuture<String> out = timeout == null ? null : CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
            if (stdin != null) {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (timeout == null) {
                String o = readAll(p.getInputStream());
                int status = p.waitFor();
                return new Result(status, o, err.join());
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(cmd.get(0) + " did not finish within " + timeout.toMillis() + " ms; killed it");
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (IOException e) {
            p.destroyForcibly();
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
