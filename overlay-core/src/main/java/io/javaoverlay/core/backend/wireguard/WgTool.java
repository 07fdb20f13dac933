package io.javaoverlay.core.backend.wireguard;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import io.javaoverlay.core.backend.BackendException;
import io.javaoverlay.core.firewall.ToolProcess;
import io.javaoverlay.core.net.WireguardKey;

/**
 * The {@code wg} tool, the one way this backend configures a WireGuard device, kernel or
 * wireguard-go (see the package notes for why). Every run has a timeout: a wireguard-go that
 * stopped answering on its socket must not stall the agent's event loop.
 */
final class WgTool {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Path wg;

    WgTool(Path wg) {
        this.wg = wg;
    }

    /**
     * {@code wg syncconf <dev> /dev/stdin}: makes the device match {@code config}, keeping sessions of
     * unchanged peers. It always writes the listen port, and wireguard-go closes and reopens its UDP
     * socket at every such write, dropping what arrives meanwhile: use it for a new device only.
     */
    void syncconf(String device, String config) {
        run(List.of(wg.toString(), "syncconf", device, "/dev/stdin"), config);
    }

    /**
     * Makes the device start a handshake with each of {@code peers} now, by turning their
     * persistent keepalive on (WireGuard sends a keepalive, and so a handshake, at once when it goes
     * from off to on, kernel and wireguard-go alike) and off again: two {@code wg set} runs for any
     * number of peers. Only for peers whose keepalive is off.
     */
    void handshakeNow(String device, Collection<WireguardKey> peers) {
        List<String> on = new ArrayList<>(List.of(wg.toString(), "set", device));
        List<String> off = new ArrayList<>(on);
        for (WireguardKey k : peers) {
            on.addAll(List.of("peer", k.toString(), "persistent-keepalive", "1"));
            off.addAll(List.of("peer", k.toString(), "persistent-keepalive", "off"));
        }
        try {
            run(on, null);
        } finally {
            run(off, null);
        }
    }

    /** {@code wg addconf <dev> /dev/stdin}: adds or updates the peers in {@code peers}, touching nothing else. */
    void addconf(String device, String peers) {
        run(List.of(wg.toString(), "addconf", device, "/dev/stdin"), peers);
    }

    /** {@code wg set <dev> peer K1 remove peer K2 remove ...}: one run for any number of peers. */
    void removePeers(String device, Collection<WireguardKey> peers) {
        List<String> cmd = new ArrayList<>(List.of(wg.toString(), "set", device));
        for (WireguardKey k : peers) {
            cmd.addAll(List.of("peer", k.toString(), "remove"));
        }
        run(cmd, null);
    }

    /** {@code wg show <dev> dump}. */
    WgDump dump(String device) {
        String out = run(List.of(wg.toString(), "show", device, "dump"), null);
        try {
            return WgDump.parse(out);
        } catch (RuntimeException e) {
            throw new BackendException("cannot read wg show " + device + " dump: " + e.getMessage(), e);
        }
    }

    /** Whether {@code wg show <dev>} answers (a device WireGuard knows, and for wireguard-go its socket is up). */
    boolean answers(String device) {
        try {
            return ToolProcess.run(List.of(wg.toString(), "show", device, "public-key"), null, TIMEOUT).status() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private String run(List<String> cmd, String stdin) {
        ToolProcess.Result r;
        try {
            r = ToolProcess.run(cmd, stdin, TIMEOUT);
        } catch (IOException e) {
            throw new BackendException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        }
        if (r.status() != 0) {
            throw new BackendException(String.join(" ", cmd) + " failed (exit " + r.status() + "): " + r.stderr().strip());
        }
        return r.stdout();
    }
}
