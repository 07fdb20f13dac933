package io.javaoverlay.core.backend.wireguard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.files.FileModes;
import io.javaoverlay.core.netlink.Errno;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.NetlinkSocket;
import io.javaoverlay.core.netlink.NewLink;

/**
 * One WireGuard network device ({@code flannel-wg}, or {@code flannel-wg-v6} for IPv6) and, in user space, the {@code wireguard-go}
 * process behind it: made, found again, and removed. Only the link lives here; keys, peers,
 * address and route are the backend's.
 *
 * <p>The kernel's WireGuard is tried first, by creating the link with kind {@code wireguard}
 * (an unknown kind fails with EOPNOTSUPP); without it {@code wireguard-go -f flannel-wg} is
 * started as a child of the agent and its PID is kept in {@code <data-dir>/wireguard-go.pid}
 * ({@code wireguard-go-v6.pid} for {@code flannel-wg-v6}).
 * An agent killed without its shutdown path leaves that process running (and the tunnel up); the
 * next start finds it by that PID, checks it is wireguard-go serving this device, and keeps it.
 * Any other existing device of that name is deleted and made again, as flannel does.
 */
final class WireguardDevice {

    private static final Logger LOG = LoggerFactory.getLogger(WireguardDevice.class);

    /** flannel's name for its IPv4 WireGuard device (in Mode separate; the only one in the other modes). */
    static final String NAME = "flannel-wg";
    /** flannel's name for its IPv6 WireGuard device in Mode separate. */
    static final String NAME_V6 = "flannel-wg-v6";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);

    private final String name;
    private final NetlinkSocket nl;
    private final WgTool wg;
    private final Optional<Path> wireguardGo;
    private final Path pidFile;
    /** Known once the first device is made: the kernel is not asked again after it said no. */
    private Implementation implementation;
    /** The wireguard-go serving the device, when it runs in user space. */
    private ProcessHandle process;

    /**
     * @param name {@link #NAME} or {@link #NAME_V6}; the PID file of its wireguard-go is
     *             {@code wireguard-go.pid} for the first, {@code wireguard-go-v6.pid} for the second
     */
    WireguardDevice(String name, NetlinkSocket nl, WgTool wg, Optional<Path> wireguardGo, Path dataDir) {
        this.name = name;
        this.nl = nl;
        this.wg = wg;
        this.wireguardGo = wireguardGo;
        this.pidFile = dataDir.resolve(name.equals(NAME) ? "wireguard-go.pid" : "wireguard-go-v6.pid");
    }

    String name() {
        return name;
    }

    Optional<Implementation> implementation() {
        return Optional.ofNullable(implementation);
    }

    /** The device now, if there is one that works (for wireguard-go: its process is alive). */
    Optional<Link> current() {
        Optional<Link> l = nl.links().get(name);
        if (l.isPresent() && implementation == Implementation.WIREGUARD_GO && (process == null || !process.isAlive())) {
            return Optional.empty();
        }
        return l;
    }

    /**
     * Makes the device (or keeps a wireguard-go left running by a killed agent) with {@code mtu};
     * returns it and whether it was kept (then it still holds its keys and peers).
     */
    Made make(int mtu) {
        Optional<Link> existing = nl.links().get(name);
        if (existing.isPresent()) {
            Optional<ProcessHandle> left = leftRunning();
            if (left.isPresent()) {
                process = left.get();
                implementation = Implementation.WIREGUARD_GO;
                LOG.info("{}: keeping wireguard-go (PID {}) left running by the previous agent; its tunnel stays up", name, process.pid());
                nl.links().setMtu(existing.get().index(), mtu);
                return new Made(nl.links().require(name), true);
            }
            LOG.warn("{} already exists; recreating it (as flannel does)", name);
            remove();
        }
        boolean kernel = false;
        if (implementation != Implementation.WIREGUARD_GO) {
            try {
                nl.links().create(new NewLink(name, "wireguard", mtu, null, null, null));
                kernel = true;
            } catch (NetlinkException e) {
                if (e.errno() != Errno.EOPNOTSUPP) {
                    throw e;
                }
                LOG.debug("no kernel WireGuard: {}", e.getMessage());
            }
        }
        Implementation chosen = Implementation.choose(kernel, wireguardGo);
        if (implementation != chosen) {
            LOG.info("WireGuard runs in {} here{}", chosen, chosen == Implementation.WIREGUARD_GO
                    ? " (this kernel has no WireGuard module)" : "");
        }
        implementation = chosen;
        if (chosen == Implementation.WIREGUARD_GO) {
            startWireguardGo();
            nl.links().setMtu(nl.links().require(name).index(), mtu);
        }
        return new Made(nl.links().require(name), false);
    }

    record Made(Link link, boolean kept) {}

    private void startWireguardGo() {
        Path exe = wireguardGo.orElseThrow();
        ProcessBuilder pb = new ProcessBuilder(exe.toString(), "-f", name)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.put("LOG_LEVEL", "error");
        // what -f means, said the way wireguard-go's own daemon child hears it: it also drops the banner
        // telling the user to prefer the kernel module, which this backend has already tried
        env.put("WG_PROCESS_FOREGROUND", "1");
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new BackendException("cannot start " + exe + ": " + e.getMessage(), e);
        }
        process = p.toHandle();
        writePid(p.pid());
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                deletePidFile();
                throw new BackendException(exe + " -f " + name + " exited with status " + p.exitValue()
                        + " before its device came up (see its messages above; is /dev/net/tun there? is another wireguard-go serving "
                        + name + "?)");
            }
            if (nl.links().get(name).isPresent() && wg.answers(name)) {
                LOG.info("{}: wireguard-go started (PID {})", name, p.pid());
                return;
            }
            sleep(20);
        }
        stopProcess();
        throw new BackendException(exe + " did not bring up " + name + " within " + START_TIMEOUT.toSeconds() + " s; stopped it");
    }

    /** The wireguard-go of the previous agent, when its PID file names a live wireguard-go serving this device. */
    private Optional<ProcessHandle> leftRunning() {
        long pid;
        try {
            pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            LOG.warn("ignoring {}: {}", pidFile, e.getMessage());
            return Optional.empty();
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (h.isEmpty()) {
            deletePidFile();
            return Optional.empty();
        }
        // a PID is reused once its process is gone: make sure it is still wireguard-go for this device
        List<String> argv;
        try {
            argv = List.of(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.UTF_8).split("\0"));
        } catch (IOException e) {
            return Optional.empty();
        }
        if (argv.isEmpty() || !Path.of(argv.get(0)).getFileName().toString().equals("wireguard-go") || !argv.contains(name)) {
            LOG.info("{} names PID {}, which is not wireguard-go for {} now; not touching it", pidFile, pid, name);
            deletePidFile();
            return Optional.empty();
        }
        return h;
    }

    /** Ends wireguard-go (by its PID) and deletes the device; nothing is left. Idempotent. */
    void remove() {
        stopProcess();
        Optional<Link> l = nl.links().get(name);
        if (l.isPresent()) {
            try {
                nl.links().delete(l.get().index());
            } catch (NetlinkException.NotFound e) {
                // went with its process
            }
        }
    }

    private void stopProcess() {
        ProcessHandle p = process;
        process = null;
        if (p == null) {
            return;
        }
        if (p.isAlive()) {
            p.destroy(); // SIGTERM: wireguard-go closes its TUN device and socket
            try {
                p.onExit().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warn("wireguard-go (PID {}) did not stop within {} s of SIGTERM; killing it", p.pid(), STOP_TIMEOUT.toSeconds());
                p.destroyForcibly();
            }
            LOG.info("{}: wireguard-go (PID {}) stopped", name, p.pid());
        }
        deletePidFile();
    }

    private void writePid(long pid) {
        try {
            FileModes.privateDirectory(pidFile.getParent());
            Files.writeString(pidFile, pid + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            LOG.warn("cannot write {} ({}): a restart after a crash will not find wireguard-go again", pidFile, e.getMessage());
        }
    }

    private void deletePidFile() {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", pidFile, e.getMessage());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException("interrupted while starting wireguard-go", e);
        }
    }
}
