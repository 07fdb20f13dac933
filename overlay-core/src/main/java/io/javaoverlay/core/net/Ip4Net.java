package io.javaoverlay.core.net;

/**
 * An IPv4 network in CIDR form. The address is always the network address (host bits zero);
 * use {@link #parseHost} to keep a host address with its prefix, as in {@code 10.5.1.1/24}.
 */
public record Ip4Net(Ip4 address, int prefixLength) implements Comparable<Ip4Net> {

    public Ip4Net {
        if (address == null) {
            throw new IllegalArgumentException("network address is missing");
        }
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 0-32, got " + prefixLength);
        }
        if ((address.value() & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException("host bits set in network " + address + "/" + prefixLength
                    + " (did you mean " + new Ip4(address.value() & mask(prefixLength)) + "/" + prefixLength + "?)");
        }
    }

    /** Parses {@code a.b.c.d/len}; host bits must be zero. A bare address is a /32. */
    public static Ip4Net parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("network is missing");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            return new Ip4Net(Ip4.parse(text), 32);
        }
        return new Ip4Net(Ip4.parse(text.substring(0, slash)), parsePrefix(text, text.substring(slash + 1)));
    }

    /** The network that contains {@code address} with this prefix length, host bits cleared. */
    public static Ip4Net containing(Ip4 address, int prefixLength) {
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("prefix length must be 0-32, got " + prefixLength);
        }
        return new Ip4Net(new Ip4(address.value() & mask(prefixLength)), prefixLength);
    }

    /**
     * Parses a host address with prefix ({@code 10.5.1.1/24}) as an interface address:
     * returns the address and its network. Used for subnet.env's FLANNEL_SUBNET.
     */
    public static HostAddress parseHost(String text) {
        if (text == null) {
            throw new IllegalArgumentException("address is missing");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("expected address/prefix, got \"" + text + "\"");
        }
        Ip4 ip = Ip4.parse(text.substring(0, slash));
        return new HostAddress(ip, parsePrefix(text, text.substring(slash + 1)));
    }

    private static int parsePrefix(String whole, String prefix) {
        if (prefix.isEmpty() || prefix.length() > 2 || !prefix.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("bad prefix length in \"" + whole + "\"");
        }
        int len = Integer.parseInt(prefix);
        if (len > 32) {
            throw new IllegalArgumentException("prefix length must be 0-32 in \"" + whole + "\"");
        }
        return len;
    }

    /** The netmask for a prefix length, as an int ({@code /24} is {@code 0xFFFFFF00}). */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    public int mask() {
        return mask(prefixLength);
    }

    /** Number of addresses, network and broadcast included. */
    public long size() {
        return 1L << (32 - prefixLength);
    }

    public boolean contains(Ip4 ip) {
        return (ip.value() & mask()) == address.value();
    }

    public boolean contains(Ip4Net other) {
        return other.prefixLength >= prefixLength && contains(other.address);
    }

    public boolean overlaps(Ip4Net other) {
        return contains(other.address) || other.contains(address);
    }

    /** The last address (broadcast for networks shorter than /31). */
    public Ip4 last() {
        return new Ip4(address.value() | ~mask());
    }

    /** The first usable host address: {@code .1} of a /24; the gateway in flannel's layout. */
    public Ip4 firstHost() {
        return prefixLength >= 31 ? address : address.plus(1);
    }

    /** The next network of the same size (wraps past 255.255.255.255 like unsigned arithmetic). */
    public Ip4Net next() {
        return new Ip4Net(address.plus(size()), prefixLength);
    }

    /** The {@code index}-th subnet of length {@code subnetLength} inside this network. */
    public Ip4Net subnet(int subnetLength, long index) {
        if (subnetLength < prefixLength || subnetLength > 32) {
            throw new IllegalArgumentException("subnet length " + subnetLength + " does not fit in " + this);
        }
        long count = 1L << (subnetLength - prefixLength);
        if (index < 0 || index >= count) {
            throw new IllegalArgumentException("subnet index " + index + " out of range 0.." + (count - 1) + " for /" + subnetLength + " in " + this);
        }
        return new Ip4Net(address.plus(index << (32 - subnetLength)), subnetLength);
    }

    /** flannel's subnet key form: {@code 10.5.1.0-24}. */
    public String toKey() {
        return address + "-" + prefixLength;
    }

    /** Parses flannel's subnet key form {@code 10.5.1.0-24}. */
    public static Ip4Net parseKey(String key) {
        int dash = key.lastIndexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("not a subnet key: \"" + key + "\" (expected a.b.c.d-len)");
        }
        return parse(key.substring(0, dash) + "/" + key.substring(dash + 1));
    }

    // equals and hashCode by hand: a record's generated ones are bootstrapped through
    // invokedynamic (ObjectMethods) on first use, which costs a short-lived process such as the
    // CNI plugin tens of milliseconds
    @Override
    public boolean equals(Object o) {
        return o instanceof Ip4Net other && other.prefixLength == prefixLength && other.address.equals(address);
    }

    @Override
    public int hashCode() {
        return address.hashCode() * 31 + prefixLength;
    }

    @Override
    public int compareTo(Ip4Net other) {
        int c = address.compareTo(other.address);
        return c != 0 ? c : Integer.compare(prefixLength, other.prefixLength);
    }

    @Override
    public String toString() {
        return address + "/" + prefixLength;
    }

    /** An interface address: a host address together with its prefix length. */
    public record HostAddress(Ip4 ip, int prefixLength) {
        public HostAddress {
            if (ip == null) {
                throw new IllegalArgumentException("address is missing");
            }
            if (prefixLength < 0 || prefixLength > 32) {
                throw new IllegalArgumentException("prefix length must be 0-32, got " + prefixLength);
            }
        }

        public Ip4Net network() {
            return containing(ip, prefixLength);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HostAddress other && other.prefixLength == prefixLength && other.ip.equals(ip);
        }

        @Override
        public int hashCode() {
            return ip.hashCode() * 31 + prefixLength;
        }

        @Override
        public String toString() {
            return ip + "/" + prefixLength;
        }
    }
}
