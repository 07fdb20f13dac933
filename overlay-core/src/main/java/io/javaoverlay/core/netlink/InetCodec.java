package io.javaoverlay.core.netlink;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** Address family and byte form of {@link InetAddress}es, as netlink carries them. */
final class InetCodec {

    private InetCodec() {}

    static int family(InetAddress address) {
        if (address instanceof Inet4Address) {
            return Rtnl.AF_INET;
        }
        if (address instanceof Inet6Address) {
            return Rtnl.AF_INET6;
        }
        throw new IllegalArgumentException("not an IP address: " + address);
    }

    static int maxPrefix(int family) {
        return family == Rtnl.AF_INET6 ? 128 : 32;
    }

    /** The address in the given bytes, or null when absent or of an unexpected length. */
    static InetAddress fromBytes(byte[] bytes) {
        if (bytes == null || (bytes.length != 4 && bytes.length != 16)) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are always an address", e);
        }
    }
}
