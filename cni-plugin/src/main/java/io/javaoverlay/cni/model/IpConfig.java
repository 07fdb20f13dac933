package io.javaoverlay.cni.model;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * An address in a result.
 *
 * @param address   CIDR form, e.g. {@code 10.5.72.9/24} (IPv6 from other plugins is passed through)
 * @param interfaceIndex index into the result's {@code interfaces}
 */
public record IpConfig(String address, Optional<String> gateway, OptionalInt interfaceIndex) {

    public IpConfig {
        if (address == null || address.indexOf('/') < 0) {
            throw new IllegalArgumentException("an IP entry needs an address in CIDR form, got " + address);
        }
        gateway = gateway == null ? Optional.empty() : gateway;
        interfaceIndex = interfaceIndex == null ? OptionalInt.empty() : interfaceIndex;
    }

    /** "4" or "6", as 0.3.x/0.4.0 results name the family. */
    public String family() {
        return address.indexOf(':') >= 0 ? "6" : "4";
    }
}
