package io.javaoverlay.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.files.AtomicFiles;
import io.javaoverlay.core.files.FileModes;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * flannel's {@code subnet.env}: what the agent tells the container runtimes on this host.
 *
 * <pre>
 * FLANNEL_NETWORK=10.5.0.0/16
 * FLANNEL_SUBNET=10.5.72.1/24
 * FLANNEL_MTU=1450
 * FLANNEL_IPMASQ=false
 * </pre>
 *
 * {@code FLANNEL_SUBNET} is the first host address of the lease with its prefix: the bridge's
 * address ({@link #gateway()}; the lease itself is {@link #lease()}), so that
 * {@code docker --bip=${FLANNEL_SUBNET}} works unchanged. IPv6 keys are written
 * only when IPv6 is enabled, after the IPv4 ones, as flannel's WriteSubnetFile does:
 *
 * <pre>
 * FLANNEL_NETWORK=10.5.0.0/16
 * FLANNEL_SUBNET=10.5.52.1/24
 * FLANNEL_IPV6_NETWORK=fc00::/48
 * FLANNEL_IPV6_SUBNET=fc00:0:34::1/64
 * FLANNEL_MTU=1450
 * FLANNEL_IPMASQ=true
 * </pre>
 *
 * <p>flanneld on an IPv6-only network ({@code "EnableIPv4": false}) writes the IPv6 pair alone,
 * without {@code FLANNEL_NETWORK} and {@code FLANNEL_SUBNET}. Such a file parses: {@link #hasIpv4()}
 * is false, {@link #ipv4Lease()} is empty, and {@link #network()}, {@link #gateway()} and
 * {@link #lease()} throw {@link NoIpv4Exception}, so a caller that cannot work without IPv4 (the
 * Docker face; the agent never writes such a file) fails with a clear message instead of a null.
 * The CNI plugin checks {@link #hasIpv4()} and attaches IPv6-only pods.
 *
 * @param network     {@code FLANNEL_NETWORK}; null only in an IPv6-only file (read it through {@link #network()})
 * @param gateway     {@code FLANNEL_SUBNET}; null only in an IPv6-only file (read it through {@link #gateway()})
 * @param ipv6Network {@code FLANNEL_IPV6_NETWORK} ({@code fc00::/48}), empty unless IPv6 is enabled
 * @param ipv6Subnet  {@code FLANNEL_IPV6_SUBNET}, the first host address of the IPv6 lease with its prefix
 *                    ({@code fc00:0:34::1/64}), empty unless IPv6 is enabled
 */
public record SubnetEnv(Ip4Net network, Ip4Net.HostAddress gateway, int mtu, boolean ipMasq,
                        Optional<String> ipv6Network, Optional<String> ipv6Subnet) {

    /** flannel's default location, read by its CNI plugin (as a string, for annotations). */
    public static final String DEFAULT_FILE = "/run/flannel/subnet.env";
    /** flannel's default location, read by its CNI plugin. */
    public static final Path DEFAULT_PATH = Path.of(DEFAULT_FILE);

    public SubnetEnv {
        ipv6Network = ipv6Network == null ? Optional.empty() : ipv6Network;
        ipv6Subnet = ipv6Subnet == null ? Optional.empty() : ipv6Subnet;
        if ((network == null) != (gateway == null)) {
            throw new IllegalArgumentException("FLANNEL_NETWORK and FLANNEL_SUBNET come together: one of them is missing");
        }
        if (network == null && ipv6Network.isEmpty() && ipv6Subnet.isEmpty()) {
            throw new IllegalArgumentException("FLANNEL_NETWORK and FLANNEL_SUBNET (or, IPv6-only, FLANNEL_IPV6_NETWORK and"
                    + " FLANNEL_IPV6_SUBNET) are required");
        }
        if (network != null && !network.contains(gateway.network())) {
            throw new IllegalArgumentException("FLANNEL_SUBNET " + gateway + " is not inside FLANNEL_NETWORK " + network);
        }
        if (mtu < 68 || mtu > 65535) {
            throw new IllegalArgumentException("FLANNEL_MTU must be 68-65535, got " + mtu);
        }
        if (ipv6Network.isPresent() != ipv6Subnet.isPresent()) {
            throw new IllegalArgumentException("FLANNEL_IPV6_NETWORK and FLANNEL_IPV6_SUBNET come together: one of them is missing");
        }
        if (ipv6Network.isPresent()) {
            Ip6Net net6 = Ip6Net.parse(ipv6Network.get());
            Ip6Net lease6 = hostCidr(ipv6Subnet.get());
            if (!net6.contains(lease6)) {
                throw new IllegalArgumentException("FLANNEL_IPV6_SUBNET " + ipv6Subnet.get() + " is not inside FLANNEL_IPV6_NETWORK " + net6);
            }
        }
    }

    /** A dual-stack file: the IPv6 network and this host's IPv6 lease beside the IPv4 ones. */
    public static SubnetEnv of(Ip4Net network, Ip4Net lease, Optional<Ip6Net> network6, Optional<Ip6Net> lease6, int mtu, boolean ipMasq) {
        return new SubnetEnv(network, new Ip4Net.HostAddress(lease.firstHost(), lease.prefixLength()), mtu, ipMasq,
                network6.map(Ip6Net::toString), lease6.map(Ip6Net::firstHostCidr));
    }

    /**
     * An IPv6-only file, as flanneld writes it with {@code "EnableIPv4": false}: the IPv6 network
     * and this host's IPv6 lease, no IPv4 pair.
     */
    public static SubnetEnv ipv6Only(Ip6Net network6, Ip6Net lease6, int mtu, boolean ipMasq) {
        return new SubnetEnv(null, null, mtu, ipMasq, Optional.of(network6.toString()), Optional.of(lease6.firstHostCidr()));
    }

    /** Whether the file has the IPv4 pair; false for an IPv6-only file. */
    public boolean hasIpv4() {
        return network != null;
    }

    /** {@code FLANNEL_NETWORK}; {@link NoIpv4Exception} in an IPv6-only file (ask {@link #hasIpv4()} first). */
    @Override
    public Ip4Net network() {
        requireIpv4();
        return network;
    }

    /** {@code FLANNEL_SUBNET}, the bridge's address; {@link NoIpv4Exception} in an IPv6-only file. */
    @Override
    public Ip4Net.HostAddress gateway() {
        requireIpv4();
        return gateway;
    }

    /** The leased IPv4 subnet when the file has one; empty in an IPv6-only file. */
    public Optional<Ip4Net> ipv4Lease() {
        return hasIpv4() ? Optional.of(gateway.network()) : Optional.empty();
    }

    private void requireIpv4() {
        if (!hasIpv4()) {
            throw new NoIpv4Exception();
        }
    }

    /** The leased IPv6 subnet ({@code fc00:0:34::/64}) when the file has one. */
    public Optional<Ip6Net> ipv6Lease() {
        return ipv6Subnet.map(SubnetEnv::hostCidr);
    }

    /** {@code fc00:0:34::1/64} as its network {@code fc00:0:34::/64}. */
    private static Ip6Net hostCidr(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("FLANNEL_IPV6_SUBNET \"" + text + "\" has no prefix length (expected e.g. fc00:0:34::1/64)");
        }
        return Ip6Net.parse(text);
    }

    public static SubnetEnv of(Ip4Net network, Ip4Net lease, int mtu, boolean ipMasq) {
        return new SubnetEnv(network, new Ip4Net.HostAddress(lease.firstHost(), lease.prefixLength()), mtu, ipMasq,
                Optional.empty(), Optional.empty());
    }

    /** The leased subnet itself ({@code 10.5.72.0/24}); {@link NoIpv4Exception} in an IPv6-only file. */
    public Ip4Net lease() {
        return gateway().network();
    }

    /** subnet.env is a few lines; anything longer is not one, and is not read whole. */
    public static final long MAX_BYTES = 64 * 1024;

    /**
     * Reads a subnet.env file: the one reader both faces and the tools use. A missing file is a
     * {@link MissingException} (the agent is not running or not ready yet); a file that cannot be
     * understood, or is no regular file of sane size, is an {@link InvalidException}: reading a
     * FIFO would wait for a writer forever, and a device such as /dev/zero would never end.
     */
    public static SubnetEnv read(Path path) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new MissingException(path);
        }
        if (!attrs.isRegularFile()) {
            throw new InvalidException(path.toString(), "it is not a regular file (a directory, FIFO, socket or device);"
                    + " name the file the agent writes (default " + DEFAULT_PATH + ")");
        }
        if (attrs.size() > MAX_BYTES) {
            throw new InvalidException(path.toString(), "it is larger than " + MAX_BYTES + " bytes; the agent writes a few lines there");
        }
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new MissingException(path);
        }
        return parse(text, path.toString());
    }

    /** Parses subnet.env text; {@code source} names it in error messages. */
    public static SubnetEnv parse(String text, String source) {
        Map<String, String> vars = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new InvalidException(source, "line \"" + line + "\" is not NAME=value");
            }
            vars.put(line.substring(0, eq).strip(), unquote(line.substring(eq + 1).strip()));
        }
        // flanneld on an IPv6-only network ("EnableIPv4": false) writes no IPv4 pair at all
        boolean ipv6Only = !vars.containsKey("FLANNEL_NETWORK") && !vars.containsKey("FLANNEL_SUBNET")
                && vars.containsKey("FLANNEL_IPV6_NETWORK") && vars.containsKey("FLANNEL_IPV6_SUBNET");
        try {
            Ip4Net network = ipv6Only ? null : Ip4Net.parse(required(vars, "FLANNEL_NETWORK", source));
            Ip4Net.HostAddress subnet = ipv6Only ? null : Ip4Net.parseHost(required(vars, "FLANNEL_SUBNET", source));
            int mtu = Integer.parseInt(required(vars, "FLANNEL_MTU", source));
            String masq = vars.getOrDefault("FLANNEL_IPMASQ", "false");
            if (!masq.equals("true") && !masq.equals("false")) {
                throw new InvalidException(source, "FLANNEL_IPMASQ must be true or false, got \"" + masq + "\"");
            }
            return new SubnetEnv(network, subnet, mtu, Boolean.parseBoolean(masq),
                    Optional.ofNullable(vars.get("FLANNEL_IPV6_NETWORK")), Optional.ofNullable(vars.get("FLANNEL_IPV6_SUBNET")));
        } catch (InvalidException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new InvalidException(source, e.getMessage());
        }
    }

    private static String required(Map<String, String> vars, String name, String source) {
        String v = vars.get(name);
        if (v == null || v.isEmpty()) {
            throw new InvalidException(source, name + " is missing");
        }
        return v;
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    /** The file's text, in flannel's order. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        if (hasIpv4()) {
            sb.append("FLANNEL_NETWORK=").append(network).append('\n');
            sb.append("FLANNEL_SUBNET=").append(gateway).append('\n');
        }
        ipv6Network.ifPresent(v -> sb.append("FLANNEL_IPV6_NETWORK=").append(v).append('\n'));
        ipv6Subnet.ifPresent(v -> sb.append("FLANNEL_IPV6_SUBNET=").append(v).append('\n'));
        sb.append("FLANNEL_MTU=").append(mtu).append('\n');
        sb.append("FLANNEL_IPMASQ=").append(ipMasq).append('\n');
        return sb.toString();
    }

    /**
     * Writes the file atomically: a reader (the CNI plugin, a shell sourcing it) sees the old
     * file or the new one, never half of one. The file is {@code rw-r--r--} and missing parent
     * directories are made {@code rwxr-xr-x}, as flannel writes them: the flannel CNI plugin,
     * scripts and {@code docker --bip=${FLANNEL_SUBNET}} set-ups read it, not only root.
     */
    public void write(Path path) throws IOException {
        FileModes.sharedDirectory(path.toAbsolutePath().getParent());
        AtomicFiles.writeString(path, format(), FileModes.SHARED_FILE);
    }

    /** subnet.env does not exist: the agent is not running, or has not written it yet. */
    public static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        public MissingException(Path path) {
            super(path + " does not exist: is the javaoverlay (or flannel) agent running and ready on this host?");
        }
    }

    /**
     * The IPv4 part of an IPv6-only file was asked for. Unchecked, and no {@link InvalidException}:
     * the file is valid, the caller cannot work with it.
     */
    public static final class NoIpv4Exception extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public NoIpv4Exception() {
            super("subnet.env holds an IPv6 subnet only (an IPv6-only network, \"EnableIPv4\": false): it has no"
                    + " FLANNEL_NETWORK or FLANNEL_SUBNET");
        }
    }

    /** subnet.env exists but cannot be understood. */
    public static final class InvalidException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidException(String source, String what) {
            super(source + " is not a valid subnet.env: " + what);
        }
    }
}
