package io.javaoverlay.cli;

import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link DualStackCniContract} over host-gw: the peers' IPv6 subnets routed via their PublicIPv6. */
class DualStackCniHostGwIT extends DualStackCniContract {

    @RegisterExtension
    static final OverlayCluster cluster = dualStack("{\"Type\":\"host-gw\"}");
}
