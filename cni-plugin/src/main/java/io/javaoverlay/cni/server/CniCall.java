package io.javaoverlay.cni.server;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.cni.Caller;
import io.javaoverlay.cni.CniCommand;
import io.javaoverlay.cni.CniMain;
import io.javaoverlay.cni.ProcessEnvironment;
import io.javaoverlay.cni.wire.JsonTree;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * One connection to the CNI socket: one CNI call, from reading the caller's stdin to the answer.
 *
 * <p>Everything about the caller comes from the kernel, nothing from what it sends: SO_PEERCRED
 * gives its uid, gid and pid; its network namespace is {@code /proc/PID/ns/net} and its CNI
 * variables are read from {@code /proc/PID/environ} (the launcher's socat inherits them from the
 * runtime), exactly the bytes a plugin process would get. What the client sends is only the
 * plugin's stdin, so there is nothing to inject into.
 */
final class CniCall implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(CniCall.class);

    /**
     * The whole stdin must arrive within this: the launcher's socat sends a few kB from a local
     * pipe at once. An idle or trickling connection is closed after it and holds nothing longer.
     */
    static final Duration READ_DEADLINE = Duration.ofSeconds(10);

    /** What a launcher of the HTTP-header protocol (before the caller was read from the kernel) sends first. */
    private static final byte[] OLD_PROTOCOL = "POST /cni HTTP/1.".getBytes(StandardCharsets.US_ASCII);

    private final AFUNIXSocket socket;
    private final Path path;
    private final OptionalLong group;
    private final NamespaceId ownNetns;
    /** Where the call is counted and timed ({@code javaoverlay_operations_total{face="cni"}}): the agent's. */
    private final OverlayMetrics metrics;

    CniCall(AFUNIXSocket socket, Path path, OptionalLong group, NamespaceId ownNetns, OverlayMetrics metrics) {
        this.metrics = metrics;
        this.socket = socket;
        this.path = path;
        this.group = group;
        this.ownNetns = ownNetns;
    }

    @Override
    public void run() {
        try (socket) {
            Optional<byte[]> stdin = readStdin();
            if (stdin.isEmpty()) {
                return;
            }
            AFUNIXSocketCredentials peer = socket.getPeerCredentials();
            Optional<String> refusal = refusal(peer, stdin.get());
            Map<String, String> env = Map.of();
            if (refusal.isEmpty()) {
                try {
                    env = ProcessEnvironment.of(peer.getPid());
                } catch (IOException e) {
                    refusal = Optional.of("cannot read the caller's environment (" + e + ")");
                }
            }
            if (refusal.isPresent()) {
                Map<String, String> what = describe(peer.getPid());
                LOG.warn("CNI socket {}: not serving {} for {} (pid {}, uid {}, gid {}): {}; the launcher runs the plugin itself",
                        path, Responses.printable(what.getOrDefault("CNI_COMMAND", "a call")),
                        Responses.printable(what.getOrDefault("CNI_CONTAINERID", "?")), peer.getPid(), peer.getUid(),
                        peer.getGid(), refusal.get());
                refuse(refusal.get(), stdin.get());
                return;
            }
            // the pid was read from a live connection: while it is still open the pid is still the caller's
            if (hasGone()) {
                LOG.warn("CNI socket {}: the caller (pid {}) went away before its call began; nothing done", path, peer.getPid());
                return;
            }
            serve(env, stdin.get());
        } catch (IOException e) {
            LOG.warn("CNI socket {}: a client went away: {}", path, e.toString());
        } catch (RuntimeException | Error e) {
            // the Dispatcher maps the plugin's failures to error results; this is outside it (a bug)
            LOG.error("CNI socket {}: serving a call failed", path, e);
        }
    }

    /** The caller's CNI variables for a log line only; empty when they cannot be read. */
    private static Map<String, String> describe(long pid) {
        try {
            return pid > 0 ? ProcessEnvironment.of(pid) : Map.of();
        } catch (IOException e) {
            return Map.of();
        }
    }

    /** Stdin up to one byte more than the Dispatcher accepts (so it reports the size); empty when none came in time. */
    private Optional<byte[]> readStdin() throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream body = new ByteArrayOutputStream(4096);
        byte[] chunk = new byte[16 * 1024];
        long deadline = System.nanoTime() + READ_DEADLINE.toNanos();
        int limit = CniSocketProtocol.STDIN_LIMIT;
        try {
            while (body.size() < limit) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new SocketTimeoutException();
                }
                socket.setSoTimeout((int) Math.max(1, Duration.ofNanos(left).toMillis()));
                int n = in.read(chunk, 0, Math.min(chunk.length, limit - body.size()));
                if (n < 0) {
                    break;
                }
                body.write(chunk, 0, n);
            }
        } catch (SocketTimeoutException e) {
            LOG.warn("CNI socket {}: a client sent no complete call within {} s ({} bytes); closed", path,
                    READ_DEADLINE.toSeconds(), body.size());
            return Optional.empty();
        }
        if (body.size() == 0) {
            // a probe (is anyone listening?), or a VERSION with empty stdin: the launcher then runs the JVM
            return Optional.empty();
        }
        return Optional.of(body.toByteArray());
    }

    /** Why this caller is not served here, if it is not. */
    private Optional<String> refusal(AFUNIXSocketCredentials peer, byte[] stdin) {
        if (startsWith(stdin, OLD_PROTOCOL)) {
            return Optional.of("the launcher that sent it predates this agent (it sends HTTP headers); install the current one"
                    + " with `javaoverlay cni install`");
        }
        if (!SocketAccess.allows(peer.getUid(), peer.getGid(), group)) {
            return Optional.of("only root" + (group.isPresent() ? " and group " + group.getAsLong() : "")
                    + " may hand CNI calls to the agent");
        }
        if (peer.getPid() <= 0) {
            return Optional.of("the caller's process is not visible in this agent's PID namespace, so its network namespace"
                    + " cannot be checked (run the agent in the host's PID namespace, e.g. hostPID: true)");
        }
        NamespaceId callerNetns;
        try {
            callerNetns = NamespaceId.ofNetwork(Long.toString(peer.getPid()));
        } catch (IOException e) {
            return Optional.of("cannot read the caller's network namespace (" + e + ")");
        }
        if (!callerNetns.sameAs(ownNetns)) {
            // the bridge and veth would land in this agent's host, not the caller's
            return Optional.of("the caller is in network namespace " + callerNetns + ", this agent in " + ownNetns);
        }
        return Optional.empty();
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** 503 with the caller's stdin (base64) as the body: the launcher runs the plugin itself with exactly that stdin. */
    private void refuse(String why, byte[] stdin) throws IOException {
        Responses.write(socket.getOutputStream(), CniSocketProtocol.NOT_SERVED, why,
                Base64.getEncoder().encode(stdin));
    }

    private boolean hasGone() {
        try {
            return socket.checkConnectionClosed();
        } catch (IOException e) {
            return true;
        }
    }

    private void serve(Map<String, String> env, byte[] stdin) throws IOException {
        String command = env.getOrDefault("CNI_COMMAND", "?");
        // a label per command the spec knows: whatever else a caller puts in CNI_COMMAND must not add series
        OverlayMetrics.Operation op = metrics.operation("cni", CniCommand.parse(command).map(Enum::name).orElse("invalid"));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream(1024);
        int exit = CniMain.run(env, new ByteArrayInputStream(stdin), stdout, this::hasGone);
        if (exit == 0) {
            op.ok();
        } else {
            op.failed();
        }
        long ms = (System.nanoTime() - op.startNanos()) / 1_000_000;
        String call = Responses.printable(command + " " + env.getOrDefault("CNI_CONTAINERID", "") + " "
                + env.getOrDefault("CNI_IFNAME", ""));
        // one line per pod operation, as a runtime's plugin process would leave in its log
        LOG.info("CNI {}: {} ({} ms)", call, exit == 0 ? "ok" : "error " + errorCode(stdout), ms);
        boolean added = exit == 0 && command.equals("ADD");
        if (added && hasGone()) {
            undo(env, stdin, call, "before its result could be delivered");
            return;
        }
        try {
            if (exit == 0) {
                Responses.write(socket.getOutputStream(), CniSocketProtocol.RESULT, "", stdout.toByteArray());
            } else {
                Responses.write(socket.getOutputStream(), CniSocketProtocol.ERROR_RESULT, "", stdout.toByteArray());
            }
        } catch (IOException e) {
            if (added) {
                undo(env, stdin, call, "while its result was sent (" + e + ")");
                return;
            }
            throw e;
        }
    }

    /** An ADD nobody received: DEL with the same variables and config, as the runtime would after a failed ADD. */
    private void undo(Map<String, String> env, byte[] stdin, String call, String when) {
        Map<String, String> del = new HashMap<>(env);
        del.put("CNI_COMMAND", "DEL");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = CniMain.run(del, new ByteArrayInputStream(stdin), out, Caller.PROCESS);
        LOG.warn("CNI {}: the caller went away {}; undone with DEL: {}", call, when,
                exit == 0 ? "ok" : "error " + errorCode(out) + " " + Responses.printable(out.toString(StandardCharsets.UTF_8)));
    }

    /** The error result's code, for the log line only. */
    private static Object errorCode(ByteArrayOutputStream stdout) {
        try {
            return JsonTree.parse(stdout.toByteArray()) instanceof Map<?, ?> m ? m.get("code") : "?";
        } catch (JsonTree.MalformedException e) {
            return "?";
        }
    }
}
