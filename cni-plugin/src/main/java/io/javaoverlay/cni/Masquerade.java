package io.javaoverlay.cni;

import io.javaoverlay.core.net.Ip4Net;

/** Source NAT for traffic leaving the overlay from this host's containers ({@code ipMasq}). */
public interface Masquerade {

    /** Makes the rules for {@code network}'s containers in {@code lease} be in place; idempotent. */
    void ensure(String network, Ip4Net overlay, Ip4Net lease);

    /** Whether the rules {@link #ensure} makes are in place. */
    boolean isInPlace(String network, Ip4Net overlay, Ip4Net lease);
}
