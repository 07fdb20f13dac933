package io.javaoverlay.core.net;

import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv6 network in CIDR form, the address held as an unsigned 128-bit {@link BigInteger}.
 * Only what the network config needs: parse, contain, step by subnets, format as Go's
 * {@code net.IP} does (RFC 5952 compressed form), which is how flannel writes IPv6 subnet keys.
 */
public record Ip6Net(BigInteger address, int prefixLength) {

    private static final BigInteger ALL_ONES = BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE);

    public Ip6Net {
        if (address == null || address.signum() < 0 || address.bitLength() > 128) {
            throw new IllegalArgumentException("not a 128-bit IPv6 address: " + address);
        }
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("IPv6 prefix length must be 0-128, got " + prefixLength);
        }
        if (!address.and(hostMask(prefixLength)).equals(BigInteger.ZERO)) {
            throw new IllegalArgumentException("host bits set in IPv6 network " + format(address) + "/" + prefixLength
                    + " (did you mean " + format(address.andNot(hostMask(prefixLength))) + "/" + prefixLength + "?)");
        }
    }

    /** Parses {@code fc00::/48}; an address with host bits set is reduced to its network, as Go's ParseCIDR does. */
    public static Ip6Net parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv6 CIDR: \"" + text + "\" (expected e.g. fc00::/48)");
        }
        BigInteger ip = parseAddress(text.substring(0, slash));
        int len = prefixLengthAfter(text, slash, "bad IPv6 prefix length in \"" + text + "\"");
        if (len < 0 || len > 128) {
            throw new IllegalArgumentException("IPv6 prefix length must be 0-128 in \"" + text + "\"");
        }
        return containing(ip, len);
    }

    /** Parses a bare IPv6 address (no brackets, no zone) to its 128-bit value. */
    public static BigInteger parseAddress(String text) {
        if (text == null || text.indexOf(':') < 0 || text.indexOf('%') >= 0) {
            throw new IllegalArgumentException("not an IPv6 address: \"" + text + "\"");
        }
        try {
            // a literal with a ':' is never resolved through DNS
            InetAddress a = InetAddress.getByName(text);
            if (!(a instanceof Inet6Address)) {
                throw new IllegalArgumentException("not an IPv6 address: \"" + text + "\"");
            }
            return new BigInteger(1, a.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IPv6 address: \"" + text + "\"", e);
        }
    }

    public static BigInteger hostMask(int prefixLength) {
        return ALL_ONES.shiftRight(prefixLength);
    }

    /** The network that contains {@code address} with this prefix length, host bits cleared. */
    public static Ip6Net containing(BigInteger address, int prefixLength) {
        return new Ip6Net(address.andNot(hostMask(prefixLength)), prefixLength);
    }

    public boolean contains(BigInteger ip) {
        return ip.andNot(hostMask(prefixLength)).equals(address);
    }

    /** Number of addresses in a network of this prefix length. */
    public static BigInteger size(int prefixLength) {
        return BigInteger.ONE.shiftLeft(128 - prefixLength);
    }

    /** Whether the two networks share an address. */
    public boolean overlaps(Ip6Net other) {
        int shorter = Math.min(prefixLength, other.prefixLength);
        return address.andNot(hostMask(shorter)).equals(other.address.andNot(hostMask(shorter)));
    }

    /** Whether {@code other} lies inside this network. */
    public boolean contains(Ip6Net other) {
        return other.prefixLength >= prefixLength && contains(other.address);
    }

    /** The network of the same length right after this one. */
    public Ip6Net next() {
        return new Ip6Net(end(), prefixLength);
    }

    /** flannel's form in subnet keys: {@code fc00:0:0:1::-64}. */
    public String toKey() {
        return format(address) + "-" + prefixLength;
    }

    /** Parses a subnet key's IPv6 half, {@code fc00:0:0:1::-64}; host bits set are refused. */
    public static Ip6Net parseKey(String text) {
        int dash = text == null ? -1 : text.lastIndexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("not an IPv6 subnet key: \"" + text + "\" (expected e.g. fc00:0:0:1::-64)");
        }
        int len = prefixLengthAfter(text, dash, "bad prefix length in IPv6 subnet key \"" + text + "\"");
        return new Ip6Net(parseAddress(text.substring(0, dash)), len);
    }

    /** The number after the separator at {@code at} in {@code text}; not a number: an error saying {@code bad}. */
    static int prefixLengthAfter(String text, int at, String bad) {
        try {
            return Integer.parseInt(text.substring(at + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(bad);
        }
    }

    /** The first host address with this prefix, as subnet.env's {@code FLANNEL_IPV6_SUBNET} has it: {@code fc00:0:0:1::1/64}. */
    public String firstHostCidr() {
        return format(address.add(BigInteger.ONE)) + "/" + prefixLength;
    }

    /** The first address after this network. */
    public BigInteger end() {
        return address.add(size(prefixLength));
    }

    /** The 128-bit value as a {@link java.net.Inet6Address}, for netlink and sockets. */
    public static java.net.InetAddress toInetAddress(BigInteger value) {
        byte[] raw = value.toByteArray();
        byte[] b = new byte[16];
        int n = Math.min(raw.length, 16);
        System.arraycopy(raw, raw.length - n, b, 16 - n, n);
        try {
            return java.net.InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("16 bytes are always an address", e);
        }
    }

    /** RFC 5952 text: lower case, longest run of zero groups as {@code ::}. */
    public static String format(BigInteger value) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = value.shiftRight(112 - 16 * i).intValue() & 0xffff;
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return format(address) + "/" + prefixLength;
    }
}
