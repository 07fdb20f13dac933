package io.javaoverlay.cni;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The CNI spec versions this plugin speaks, every one flannel's plugin speaks. A result is always
 * printed in the version the request came in: 0.1.0 and 0.2.0 results hold one address of each
 * family ({@code "ip4"}, {@code "ip6"}, each with its routes), 0.3.x and 0.4.0 results list
 * interfaces, IPs and routes and carry {@code "version"} in every IP, 1.0.0 dropped it, 1.1.0
 * added interface MTUs and the STATUS and GC commands.
 */
public enum CniVersion {
    V0_1_0("0.1.0"),
    V0_2_0("0.2.0"),
    V0_3_0("0.3.0"),
    V0_3_1("0.3.1"),
    V0_4_0("0.4.0"),
    V1_0_0("1.0.0"),
    V1_1_0("1.1.0");

    public static final CniVersion LATEST = V1_1_0;

    private final String text;

    CniVersion(String text) {
        this.text = text;
    }

    public static Optional<CniVersion> parse(String text) {
        return Arrays.stream(values()).filter(v -> v.text.equals(text)).findFirst();
    }

    /** Every version, as VERSION lists them. */
    public static List<String> supported() {
        return Arrays.stream(values()).map(CniVersion::text).toList();
    }

    public String text() {
        return text;
    }

    /**
     * 0.1.0 and 0.2.0 results: {@code "ip4"} and {@code "ip6"}, one address of each family with the
     * routes of that family, no interfaces (libcni's {@code types020}).
     */
    public boolean legacyResult() {
        return compareTo(V0_3_0) < 0;
    }

    /** 0.3.x and 0.4.0 results say {@code "version": "4"} in each IP entry. */
    public boolean ipsCarryVersion() {
        return !legacyResult() && compareTo(V1_0_0) < 0;
    }

    /** CHECK came with 0.4.0. */
    public boolean hasCheck() {
        return compareTo(V0_4_0) >= 0;
    }

    /** STATUS and GC came with 1.1.0. */
    public boolean hasStatusAndGc() {
        return compareTo(V1_1_0) >= 0;
    }

    /** Interface MTUs in results came with 1.1.0. */
    public boolean interfacesCarryMtu() {
        return compareTo(V1_1_0) >= 0;
    }

    @Override
    public String toString() {
        return text;
    }
}
