package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.MacAddress;

import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Permanent ARP entries against the real kernel, checked through the API and {@code ip -j neigh}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NeighboursIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("neigh");

    static Link dev;

    @BeforeAll
    static void open() {
        dev = host.nl().links().createVeth("nb0", NewLink.VethPeer.named("nb1"));
        host.nl().links().setUp(dev.index());
    }

    private static JsonNode oracle(String ip) {
        for (JsonNode n : host.ns().ipJson("neigh", "show", "dev", "nb0")) {
            if (n.get("dst").asText().equals(ip)) {
                return n;
            }
        }
        return null;
    }

    @Test
    void permanentEntryAddReplaceDelete() {
        MacAddress mac1 = MacAddress.parse("02:00:00:00:01:01");
        MacAddress mac2 = MacAddress.parse("02:00:00:00:01:02");
        Neighbour n = Neighbour.permanent(dev.index(), Ip4.parse("10.40.0.5"), mac1);

        host.nl().neighbours().add(n);
        assertThat(host.nl().neighbours().listIp4(dev.index())).singleElement().satisfies(x -> {
            assertThat(x.address()).isEqualTo(Ip4.parse("10.40.0.5").toInetAddress());
            assertThat(x.mac()).isEqualTo(mac1);
            assertThat(x.isPermanent()).isTrue();
        });
        JsonNode o = oracle("10.40.0.5");
        assertThat(o.get("lladdr").asText()).isEqualTo(mac1.toString());
        assertThat(o.get("state").toString()).contains("PERMANENT");

        assertThatThrownBy(() -> host.nl().neighbours().add(n)).isInstanceOf(NetlinkException.Exists.class)
                .hasMessageStartingWith("RTM_NEWNEIGH failed: File exists (EEXIST)");

        host.nl().neighbours().replace(Neighbour.permanent(dev.index(), Ip4.parse("10.40.0.5"), mac2));
        host.nl().neighbours().replace(Neighbour.permanent(dev.index(), Ip4.parse("10.40.0.5"), mac2));
        assertThat(host.nl().neighbours().listIp4(dev.index())).singleElement().extracting(Neighbour::mac).isEqualTo(mac2);
        assertThat(oracle("10.40.0.5").get("lladdr").asText()).isEqualTo(mac2.toString());

        host.nl().neighbours().delete(n);
        assertThat(host.nl().neighbours().listIp4(dev.index())).isEmpty();
        assertThat(oracle("10.40.0.5")).isNull();
        assertThatThrownBy(() -> host.nl().neighbours().delete(n)).isInstanceOf(NetlinkException.NotFound.class)
                .hasMessageStartingWith("RTM_DELNEIGH failed: No such file or directory (ENOENT)");
    }

    @Test
    void manyEntriesAreAllListed() {
        Link d = host.nl().links().createVeth("nm0", NewLink.VethPeer.named("nm1"));
        for (int i = 1; i <= 300; i++) {
            host.nl().neighbours().replace(Neighbour.permanent(d.index(), Ip4.parse("10.41.0.0").plus(i),
                    MacAddress.parse(String.format("02:00:00:00:%02x:%02x", i >> 8, i & 0xff))));
        }
        assertThat(host.nl().neighbours().listIp4(d.index())).hasSize(300);
        assertThat(host.ns().ipJson("neigh", "show", "dev", "nm0")).hasSize(300);
    }
}
