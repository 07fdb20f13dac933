package io.javaoverlay.core.agent;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.netlink.NetlinkException;
import io.javaoverlay.core.netlink.UnixDatagram;

/**
 * systemd's readiness protocol ({@code sd_notify(3)}) for {@code Type=notify} units: one datagram
 * of {@code KEY=VALUE} lines to the socket named by {@code NOTIFY_SOCKET}. The agent sends
 * {@code READY=1} once subnet.env is written, so units ordered after it (docker with
 * {@code --bip=${FLANNEL_SUBNET}}, kubelet) start only when the file is there, and
 * {@code STOPPING=1} when it shuts down; {@code STATUS=} lines say what it waits for and, once
 * running, its lease and peer count ({@code systemctl status} shows the last one); with
 * {@code WatchdogSec=}, {@link SystemdWatchdog} sends {@code WATCHDOG=1}. Without {@code NOTIFY_SOCKET} (not under systemd)
 * nothing is sent. A failure to notify is logged, never fatal: the agent works without it.
 */
final class SystemdNotify {

    private static final Logger LOG = LoggerFactory.getLogger(SystemdNotify.class);

    private final Optional<String> socket;

    private SystemdNotify(Optional<String> socket) {
        this.socket = socket;
    }

    static SystemdNotify fromEnvironment(Map<String, String> env) {
        return new SystemdNotify(Optional.ofNullable(env.get("NOTIFY_SOCKET")).filter(s -> !s.isBlank()));
    }

    boolean enabled() {
        return socket.isPresent();
    }

    /** READY=1 with a status line and our PID (the launcher execs Java, so it is the unit's main PID). */
    void ready(String status) {
        send("READY=1\nSTATUS=" + oneLine(status) + "\nMAINPID=" + ProcessHandle.current().pid() + "\n");
    }

    void status(String status) {
        send("STATUS=" + oneLine(status) + "\n");
    }

    /** The watchdog keep-alive ({@code WATCHDOG=1}), with a new status line when {@code status} is not null. */
    void watchdog(String status) {
        send(status == null ? "WATCHDOG=1\n" : "WATCHDOG=1\nSTATUS=" + oneLine(status) + "\n");
    }

    void stopping() {
        send("STOPPING=1\n");
    }

    private void send(String message) {
        if (socket.isEmpty()) {
            return;
        }
        try {
            UnixDatagram.send(socket.get(), message.getBytes(StandardCharsets.UTF_8));
            LOG.debug("told systemd at {}: {}", socket.get(), message.strip().replace('\n', ' '));
        } catch (NetlinkException | IllegalArgumentException e) {
            LOG.warn("cannot notify systemd at NOTIFY_SOCKET={}: {}", socket.get(), e.getMessage());
        }
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ');
    }
}
