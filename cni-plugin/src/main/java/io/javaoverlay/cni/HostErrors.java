package io.javaoverlay.cni;

import io.javaoverlay.core.host.HostAttachmentException;

/** The host layer's failures (attachment and bridge firewall) as the plugin's errors, mapped once. */
final class HostErrors {

    private HostErrors() {}

    static CniException cni(HostAttachmentException e) {
        return switch (e.kind()) {
            case NOT_A_NAMESPACE -> new CniException(ErrorCode.INVALID_ENVIRONMENT, "CNI_NETNS is not a network namespace",
                    "CNI_NETNS: " + e.summary() + ": " + e.details(), e);
            case NOT_PERMITTED -> new CniException(ErrorCode.KERNEL_FAILURE, e.summary(), "CNI_NETNS: " + e.details(), e);
            case UNAVAILABLE, KERNEL -> new CniException(ErrorCode.KERNEL_FAILURE, e.summary(), e.details(), e);
        };
    }

    /** The bridge firewall's: iptables refused ({@code FirewallException}) or could not run ({@code UncheckedIOException}). */
    static CniException firewall(String what, RuntimeException e) {
        return new CniException(ErrorCode.FIREWALL_FAILURE, what, e.getMessage(), e);
    }
}
