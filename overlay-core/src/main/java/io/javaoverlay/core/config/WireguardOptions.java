package io.javaoverlay.core.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.node.ObjectNode;

import io.javaoverlay.core.net.WireguardKey;

/**
 * The keys of flannel's wireguard backend ({@code pkg/backend/wireguard/wireguard.go}), with its
 * defaults:
 *
 * <pre>
 * "Backend": {"Type": "wireguard", "PSK": "base64 key", "ListenPort": 51820, "ListenPortV6": 51821,
 *             "MTU": 1500, "PersistentKeepaliveInterval": 25, "Mode": "separate"}
 * </pre>
 *
 * {@code MTU} is the underlay MTU the overhead is taken from (default: the external interface's);
 * {@code PersistentKeepaliveInterval} is whole seconds (flannel multiplies the JSON number by a
 * second; 0, the default, sends no keepalives). {@code Mode} takes flannel's four values.
 * {@code separate} runs {@code flannel-wg} for IPv4 and, with {@code EnableIPv6}, {@code flannel-wg-v6}
 * on {@code ListenPortV6} for IPv6, as flannel does. {@code auto}, {@code ipv4} and {@code ipv6} run
 * one {@code flannel-wg} for both families (with {@code EnableIPv6}), peers reached over the IPv4
 * underlay, the IPv6 one, or as flannel's {@code auto} picks; without {@code EnableIPv6} {@code auto}
 * and {@code ipv4} are the IPv4 device, and {@code ipv6} is refused by the agent (no host publishes
 * a PublicIPv6 then).
 */
public record WireguardOptions(int listenPort, int listenPortV6, OptionalInt mtu, Optional<WireguardKey> psk,
        Duration persistentKeepalive, Mode mode) {

    /** flannel's default listen port (IPv4) and the one WireGuard itself suggests. */
    public static final int DEFAULT_LISTEN_PORT = 51820;
    /** flannel's default listen port of its IPv6 device. */
    public static final int DEFAULT_LISTEN_PORT_V6 = 51821;

    /** flannel's {@code Mode} values. */
    public enum Mode {
        SEPARATE, AUTO, IPV4, IPV6;

        /** flannel's spelling: {@code separate}, {@code auto}, {@code ipv4}, {@code ipv6}. */
        public String flannelName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public WireguardOptions {
        if (listenPort < 1 || listenPort > 65535 || listenPortV6 < 1 || listenPortV6 > 65535) {
            throw new IllegalArgumentException("listen ports must be 1-65535");
        }
        if (mtu == null || psk == null || persistentKeepalive == null || mode == null) {
            throw new IllegalArgumentException("no option may be null");
        }
    }

    /** Flannel's defaults: port 51820 (51821 for IPv6), no PSK, no keepalive, separate mode, the interface's MTU. */
    public static WireguardOptions defaults() {
        return new WireguardOptions(DEFAULT_LISTEN_PORT, DEFAULT_LISTEN_PORT_V6, OptionalInt.empty(), Optional.empty(), Duration.ZERO,
                Mode.SEPARATE);
    }

    /** Reads the Backend object; a bad value is a {@link NetworkConfigException} that says what to write. */
    public static WireguardOptions parse(ObjectNode backend) {
        JsonFields f = new JsonFields(backend, "Backend.");
        // flannel accepts 0 and lets WireGuard pick a random port, then publishes Port 0, which its peers
        // read as "my own port": the tunnel never comes up. Refused here instead.
        int port = f.integer("ListenPort", 1, 65535).orElse(DEFAULT_LISTEN_PORT);
        int port6 = f.integer("ListenPortV6", 1, 65535).orElse(DEFAULT_LISTEN_PORT_V6);
        OptionalInt mtu = f.integer("MTU", 68 + FlannelOverhead.WIREGUARD, 65535).map(OptionalInt::of).orElse(OptionalInt.empty());
        Optional<WireguardKey> psk = f.string("PSK").filter(s -> !s.isEmpty()).map(s -> {
            try {
                return WireguardKey.parse(s);
            } catch (IllegalArgumentException e) {
                throw new NetworkConfigException("Backend.PSK is not a WireGuard key: " + e.getMessage()
                        + "; make one with: wg genpsk");
            }
        });
        // WireGuard's own limit: a 16-bit number of seconds
        int keepalive = f.integer("PersistentKeepaliveInterval", 0, 65535).orElse(0);
        String modeText = f.string("Mode").orElse("separate");
        Mode mode;
        try {
            mode = Mode.valueOf(modeText.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new NetworkConfigException("Backend.Mode \"" + modeText + "\" is not one of flannel's wireguard modes: "
                    + "separate, auto, ipv4, ipv6");
        }
        if (!modeText.equals(mode.flannelName())) {
            // flannel compares the string exactly: "IPv4" is "no valid Mode configured" there
            throw new NetworkConfigException("Backend.Mode \"" + modeText + "\" must be written in lower case, as flannel "
                    + "compares it: \"" + mode.flannelName() + "\"");
        }
        return new WireguardOptions(port, port6, mtu, psk, Duration.ofSeconds(keepalive), mode);
    }
}
