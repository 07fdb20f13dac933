package io.javaoverlay.core.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code Backend.Type} values javaoverlay understands, spelled as flannel spells them.
 * flannel matches the type case-insensitively ({@code "VXLAN"} works); so do we.
 */
public enum BackendType {
    VXLAN("vxlan"),
    UDP("udp"),
    HOST_GW("host-gw"),
    WIREGUARD("wireguard");

    /** flannel's other backends: valid flannel configs that javaoverlay cannot run. */
    private static final Set<String> FLANNEL_ONLY = Set.of(
            "alloc", "extension", "ipip", "ipsec", "tencentvpc", "aws-vpc", "gce", "ali-vpc");

    private final String flannelName;

    BackendType(String flannelName) {
        this.flannelName = flannelName;
    }

    /** The name in the config and in a lease's {@code BackendType}. */
    public String flannelName() {
        return flannelName;
    }

    /** The supported names, for messages: {@code vxlan, udp, host-gw, wireguard}. */
    public static String supportedNames() {
        return Arrays.stream(values()).map(BackendType::flannelName).collect(Collectors.joining(", "));
    }

    /** Parses a {@code Backend.Type} value; unknown and unsupported names say which ones work. */
    public static BackendType parse(String type) {
        if (type == null || type.isBlank()) {
            throw new NetworkConfigException("Backend.Type is missing: set \"Backend\": {\"Type\": \"vxlan\"} (one of "
                    + supportedNames() + ")");
        }
        String lower = type.toLowerCase(Locale.ROOT);
        for (BackendType t : values()) {
            if (t.flannelName.equals(lower)) {
                return t;
            }
        }
        if (FLANNEL_ONLY.contains(lower)) {
            throw new NetworkConfigException("Backend.Type \"" + type + "\" is a flannel backend that javaoverlay does not support: use one of "
                    + supportedNames());
        }
        throw new NetworkConfigException("unknown Backend.Type \"" + type + "\": use one of " + supportedNames());
    }

    @Override
    public String toString() {
        return flannelName;
    }
}
