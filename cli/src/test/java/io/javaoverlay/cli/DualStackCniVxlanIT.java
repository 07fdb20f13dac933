package io.javaoverlay.cli;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link DualStackCniContract} over vxlan: the pods' IPv6 traffic through {@code flannel-v6.1} over the
 * IPv6 underlay (the pods at FLANNEL_MTU 1450, the device at the kernel's cap of 1430: TCP settles on
 * the path MTU), the IPv4 traffic through {@code flannel.1}.
 */
class DualStackCniVxlanIT extends DualStackCniContract {

    @RegisterExtension
    static final OverlayCluster cluster = dualStack("{\"Type\":\"vxlan\"}");
}
