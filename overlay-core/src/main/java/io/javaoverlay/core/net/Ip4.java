package io.javaoverlay.core.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An IPv4 address held as an unsigned 32-bit value in an int (network order of the bits:
 * {@code 10.0.0.1} is {@code 0x0A000001}).
 */
public record Ip4(int value) implements Comparable<Ip4> {

    /** Parses dotted-quad notation strictly: four decimal octets 0-255, no leading '+' or spaces. */
    public static Ip4 parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("IPv4 address is missing");
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\" (expected a.b.c.d)");
        }
        int v = 0;
        for (String part : parts) {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\" (expected a.b.c.d)");
            }
            int octet = Integer.parseInt(part);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: \"" + text + "\" (octet " + octet + " > 255)");
            }
            v = (v << 8) | octet;
        }
        return new Ip4(v);
    }

    public static Ip4 of(int a, int b, int c, int d) {
        for (int octet : new int[] {a, b, c, d}) {
            if (octet < 0 || octet > 255) {
                throw new IllegalArgumentException("octet out of range: " + octet);
            }
        }
        return new Ip4((a << 24) | (b << 16) | (c << 8) | d);
    }

    /** From 4 bytes in network order. */
    public static Ip4 fromBytes(byte[] bytes) {
        if (bytes.length != 4) {
            throw new IllegalArgumentException("an IPv4 address has 4 bytes, got " + bytes.length);
        }
        return new Ip4(((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff));
    }

    public static Ip4 of(InetAddress address) {
        if (!(address instanceof Inet4Address)) {
            throw new IllegalArgumentException("not an IPv4 address: " + address);
        }
        return fromBytes(address.getAddress());
    }

    /** 4 bytes in network order. */
    public byte[] toBytes() {
        return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
    }

    public InetAddress toInetAddress() {
        try {
            return InetAddress.getByAddress(toBytes());
        } catch (UnknownHostException e) {
            throw new AssertionError("4 bytes are always a valid address", e);
        }
    }

    /** The address {@code n} further on (negative goes back); wraps like the unsigned arithmetic it is. */
    public Ip4 plus(long n) {
        return new Ip4((int) (unsigned() + n));
    }

    /** The value as an unsigned long, for arithmetic and comparison. */
    public long unsigned() {
        return Integer.toUnsignedLong(value);
    }

    // equals and hashCode by hand: a record's generated ones are bootstrapped through
    // invokedynamic (ObjectMethods) on first use, which costs a short-lived process such as the
    // CNI plugin tens of milliseconds
    @Override
    public boolean equals(Object o) {
        return o instanceof Ip4 other && other.value == value;
    }

    @Override
    public int hashCode() {
        return value;
    }

    @Override
    public int compareTo(Ip4 other) {
        return Integer.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return (value >>> 24) + "." + ((value >>> 16) & 0xff) + "." + ((value >>> 8) & 0xff) + "." + (value & 0xff);
    }
}
