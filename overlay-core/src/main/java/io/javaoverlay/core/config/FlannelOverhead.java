package io.javaoverlay.core.config;

/** Per-packet overheads flannel takes off the MTU, where the config needs them too. */
public final class FlannelOverhead {

    /**
     * flannel's wireguard {@code overhead = 80}: outer IPv6 header (40, the larger of 20 and 40) +
     * UDP (8) + WireGuard's type (4), receiver index (4), nonce (8) and authentication tag (16).
     * flannel takes all 80 off even on IPv4; so do we, so both give containers one MTU.
     */
    public static final int WIREGUARD = 80;

    private FlannelOverhead() {}
}
