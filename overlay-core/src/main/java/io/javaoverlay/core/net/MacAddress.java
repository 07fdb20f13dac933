package io.javaoverlay.core.net;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/** An Ethernet (EUI-48) address. Text form is lower-case, colon-separated, as iproute2 prints it. */
public record MacAddress(byte[] bytes) {

    /** Seeded on first use: parsing and printing MACs (every netlink dump) need no entropy. */
    private static final class Random {
        static final SecureRandom RANDOM = new SecureRandom();
    }
    private static final HexFormat HEX = HexFormat.ofDelimiter(":");

    public MacAddress {
        if (bytes == null || bytes.length != 6) {
            throw new IllegalArgumentException("a MAC address has 6 bytes");
        }
        bytes = bytes.clone();
    }

    public static MacAddress parse(String text) {
        if (text == null || text.length() != 17) {
            throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected aa:bb:cc:dd:ee:ff)");
        }
        try {
            return new MacAddress(HEX.parseHex(text));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a MAC address: \"" + text + "\" (expected aa:bb:cc:dd:ee:ff)", e);
        }
    }

    /**
     * A random unicast, locally administered address: what flannel gives its VTEP so that
     * the kernel never picks the MAC itself (a kernel-chosen MAC changes on every recreate).
     */
    public static MacAddress randomLocal() {
        byte[] b = new byte[6];
        Random.RANDOM.nextBytes(b);
        b[0] = (byte) ((b[0] & 0xfe) | 0x02);
        return new MacAddress(b);
    }

    /** Whether this can be one station's address: the group bit (multicast, broadcast) clear, and not all zeros. */
    public boolean isUnicastStation() {
        if ((bytes[0] & 0x01) != 0) {
            return false;
        }
        for (byte b : bytes) {
            if (b != 0) {
                return true;
            }
        }
        return false;
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HEX.formatHex(bytes);
    }
}
