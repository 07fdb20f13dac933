package io.javaoverlay.core.firewall;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.javaoverlay.core.process.Commands;

/**
 * Runs one external tool ({@code iptables}, {@code nft}, the wireguard backend's {@code wg}) to
 * the end: stdin given or {@code /dev/null}, stdout and stderr read whole (stderr on a thread of
 * its own, so a tool that fills one pipe never blocks on the other). The one place the agent runs
 * a tool and waits for it: {@link Commands} with the failures as {@link IOException}s.
 */
public final class ToolProcess {

    /** What the tool answered. */
    public record Result(int status, String stdout, String stderr) {}

    /** "No timeout": longer than any agent runs. */
    private static final Duration FOREVER = Duration.ofDays(365 * 100);

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
        try {
            Commands.Result r = Commands.run(cmd, Map.of(), List.of(), stdin, timeout == null ? FOREVER : timeout);
            return new Result(r.exitCode(), r.stdout(), r.stderr());
        } catch (Commands.CommandException e) {
            if (e.getCause() instanceof InterruptedException) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            throw new IOException(e.getMessage(), e);
        }
    }
}
