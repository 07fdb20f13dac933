package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * host-gw with {@code "EnableNFTables": true} and no iptables on the agents' PATH: its traffic
 * accounting chains are iptables ones, so they are skipped with a warning, and everything else
 * works: routes, container traffic, masquerade.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class NftablesHostGwIT {

    private static final Path NO_IPTABLES = NoIptablesPath.create();

    @RegisterExtension
    static final OverlayCluster cluster = OverlayCluster.of("{\"Type\":\"host-gw\"}", 2, 2)
            .withConfig(",\"EnableNFTables\":true")
            .withAgentEnv(Map.of("PATH", NO_IPTABLES.toString()));

    @AfterAll
    static void removeLinks() throws IOException {
        NoIptablesPath.remove(NO_IPTABLES);
    }

    @Test
    void theAgentsStartWithoutAccountingAndCarryAndMasqueradeTraffic() {
        for (int h = 1; h <= 2; h++) {
            assertThat(cluster.agent(h).log()).contains("host-gw traffic will not show on /metrics")
                    .contains("nftables: ip-masq (ip flannel-ipv4 postrtg");
            assertThat(cluster.host(h).execOk("iptables", "-t", "mangle", "-S")).doesNotContain("JAVAOVERLAY-HOSTGW");
        }
        assertThat(NoIptablesPath.sourceSeenBy(cluster.container(2, 1), cluster.containerIp(2, 1), cluster.container(1, 1), 7201))
                .isEqualTo(cluster.containerIp(1, 1).toString());
        assertThat(NoIptablesPath.sourceSeenBy(cluster.net.underlay(), cluster.net.underlayGateway(), cluster.container(2, 1), 7202))
                .isEqualTo(cluster.host(2).underlayIp().toString());
    }
}
