package io.javaoverlay.core.netlink;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The sysctls the data path needs, through {@code /proc/sys}. {@code /proc/sys/net} shows the
 * network namespace of the thread that opens it, so these act on the calling thread's
 * namespace; the {@code NetNs} overloads run them inside another one.
 *
 * <p>Keys use slashes ({@code net/ipv4/ip_forward}) so interface names with dots stay intact.
 */
public final class Sysctl {

    private static final Path ROOT = Path.of("/proc/sys");

    private Sysctl() {}

    public static String get(String key) {
        Path path = path(key);
        try {
            return Files.readString(path, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no sysctl " + key + " (" + path + " does not exist; missing device or module?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading sysctl " + path, e);
        }
    }

    /** Writes the value unless it is already set (writing some sysctls has side effects). */
    public static void set(String key, String value) {
        if (get(key).equals(value)) {
            return;
        }
        Path path = path(key);
        try {
            Files.writeString(path, value + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + value + " to sysctl " + path + " (are we root?)", e);
        }
    }

    public static String get(NetNs ns, String key) {
        return ns.call(() -> get(key));
    }

    public static void set(NetNs ns, String key, String value) {
        ns.run(() -> set(key, value));
    }

    /** {@code net/ipv4/ip_forward}: route between interfaces (every overlay host needs it). */
    public static void ipForward(boolean on) {
        set("net/ipv4/ip_forward", on ? "1" : "0");
    }

    /** {@code net/ipv4/conf/IF/proxy_arp}. */
    public static void proxyArp(String iface, boolean on) {
        set(conf("ipv4", iface, "proxy_arp"), on ? "1" : "0");
    }

    /**
     * {@code net/ipv4/conf/IF/route_localnet}: route 127/8 sources and destinations through IF
     * (published ports on 127.0.0.1; fence it with a firewall rule, see CVE-2020-8558).
     */
    public static void routeLocalnet(String iface, boolean on) {
        set(conf("ipv4", iface, "route_localnet"), on ? "1" : "0");
    }

    /** {@code net/ipv6/conf/IF/accept_ra}: 0 off, 1 on unless forwarding, 2 even when forwarding. */
    public static void acceptRa(String iface, int mode) {
        set(conf("ipv6", iface, "accept_ra"), Integer.toString(mode));
    }

    /** {@code net/ipv4/conf/IF/rp_filter}: 0 off, 1 strict, 2 loose. */
    public static void rpFilter(String iface, int mode) {
        set(conf("ipv4", iface, "rp_filter"), Integer.toString(mode));
    }

    /**
     * {@code net/bridge/bridge-nf-call-iptables}: bridged traffic passes iptables (kube-proxy
     * needs it). Exists only with the {@code br_netfilter} module loaded.
     */
    public static void bridgeNfCallIptables(boolean on) {
        set("net/bridge/bridge-nf-call-iptables", on ? "1" : "0");
    }

    private static String conf(String family, String iface, String name) {
        if (!"all".equals(iface) && !"default".equals(iface)) {
            NewLink.checkName(iface);
        }
        return "net/" + family + "/conf/" + iface + "/" + name;
    }

    private static Path path(String key) {
        if (key.isEmpty() || key.startsWith("/") || key.contains("..")) {
            throw new IllegalArgumentException("bad sysctl key \"" + key + "\" (expected e.g. net/ipv4/ip_forward)");
        }
        return ROOT.resolve(key);
    }
}
