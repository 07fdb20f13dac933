package io.javaoverlay.core.net;

import java.math.BigInteger;
import java.net.InetAddress;

/**
 * An IPv6 host address with the prefix length of its network, as an interface carries it and
 * as CNI results and Docker write it: {@code fc00:5:34::2/64}. The address is an unsigned
 * 128-bit {@link BigInteger}, as in {@link Ip6Net}.
 */
public record Ip6Host(BigInteger ip, int prefixLength) {

    public Ip6Host {
        if (ip == null || ip.signum() < 0 || ip.bitLength() > 128) {
            throw new IllegalArgumentException("not a 128-bit IPv6 address: " + ip);
        }
        if (prefixLength < 0 || prefixLength > 128) {
            throw new IllegalArgumentException("IPv6 prefix length must be 0-128, got " + prefixLength);
        }
    }

    /** Parses {@code fc00:5:34::2/64} (host bits kept). */
    public static Ip6Host parse(String text) {
        int slash = text == null ? -1 : text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not an IPv6 address with prefix: \"" + text + "\" (expected e.g. fc00::2/64)");
        }
        int len = Ip6Net.prefixLengthAfter(text, slash, "bad IPv6 prefix length in \"" + text + "\"");
        return new Ip6Host(Ip6Net.parseAddress(text.substring(0, slash)), len);
    }

    /** {@code address} with the prefix length of {@code net}, which must contain it. */
    public static Ip6Host in(Ip6Net net, BigInteger address) {
        if (!net.contains(address)) {
            throw new IllegalArgumentException(Ip6Net.format(address) + " is not inside " + net);
        }
        return new Ip6Host(address, net.prefixLength());
    }

    /** The network this address lies in. */
    public Ip6Net network() {
        return Ip6Net.containing(ip, prefixLength);
    }

    /** The bare address in RFC 5952 form. */
    public String ipText() {
        return Ip6Net.format(ip);
    }

    public InetAddress toInetAddress() {
        return Ip6Net.toInetAddress(ip);
    }

    /** The 128-bit value of a Java IPv6 address. */
    public static BigInteger of(InetAddress address) {
        byte[] raw = address.getAddress();
        if (raw.length != 16) {
            throw new IllegalArgumentException(address.getHostAddress() + " is not an IPv6 address");
        }
        return new BigInteger(1, raw);
    }

    @Override
    public String toString() {
        return ipText() + "/" + prefixLength;
    }
}
