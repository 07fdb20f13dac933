package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Routes against the real kernel, checked through the API and {@code ip -j route}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RoutesIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("routes");

    static Link dev;

    @BeforeAll
    static void open() {
        NetlinkSocket nl = host.nl();
        dev = nl.links().createVeth("rt0", NewLink.VethPeer.named("rt1"));
        nl.links().setUp(dev.index());
        nl.links().setUp(nl.links().require("rt1").index());
        nl.addresses().add(Address.ip4(dev.index(), Ip4.parse("10.30.0.1"), 24));
    }

    private static JsonNode oracle(String dst, String... more) {
        String[] args = new String[4 + more.length];
        args[0] = "route";
        args[1] = "show";
        System.arraycopy(more, 0, args, 2, more.length);
        args[2 + more.length] = "match";
        args[3 + more.length] = dst;
        for (JsonNode r : host.ns().ipJson(args)) {
            if (r.get("dst").asText().equals(dst)) {
                return r;
            }
        }
        return null;
    }

    private static Route find(List<Route> routes, String dst) {
        return routes.stream().filter(r -> !r.isDefault() && r.ip4Destination().toString().equals(dst)).findFirst().orElse(null);
    }

    @Test
    void gatewayRouteWithMetricAndProtocol() {
        Route r = Route.ip4(Ip4Net.parse("10.31.0.0/16")).via(Ip4.parse("10.30.0.9")).device(dev)
                .withMetric(7).withProtocol(Route.PROTOCOL_STATIC);

        host.nl().routes().add(r);

        Route back = find(host.nl().routes().listIp4(), "10.31.0.0/16");
        assertThat(back).isNotNull();
        assertThat(back.ip4Gateway()).isEqualTo(Ip4.parse("10.30.0.9"));
        assertThat(back.outputIndex()).isEqualTo(dev.index());
        assertThat(back.metric()).isEqualTo(7);
        assertThat(back.protocol()).isEqualTo(Route.PROTOCOL_STATIC);
        assertThat(back.scope()).isEqualTo(Route.SCOPE_UNIVERSE);
        assertThat(back.onlink()).isFalse();
        JsonNode o = oracle("10.31.0.0/16");
        assertThat(o.get("gateway").asText()).isEqualTo("10.30.0.9");
        assertThat(o.get("dev").asText()).isEqualTo("rt0");
        assertThat(o.get("metric").asInt()).isEqualTo(7);
        assertThat(o.get("protocol").asText()).isEqualTo("static");

        host.nl().routes().delete(r);
        assertThat(find(host.nl().routes().listIp4(), "10.31.0.0/16")).isNull();
        assertThat(oracle("10.31.0.0/16")).isNull();
    }

    @Test
    void onlinkRouteToAGatewayOutsideAnyLocalSubnet() {
        // vxlan-style: the peer's VTEP address is in no local subnet; without onlink the kernel refuses
        Route plain = Route.ip4(Ip4Net.parse("10.32.1.0/24")).via(Ip4.parse("10.32.1.0")).device(dev);
        assertThatThrownBy(() -> host.nl().routes().add(plain)).isInstanceOf(NetlinkException.class);

        host.nl().routes().add(plain.withOnlink());

        Route back = find(host.nl().routes().listIp4(), "10.32.1.0/24");
        assertThat(back.onlink()).isTrue();
        assertThat(back.ip4Gateway()).isEqualTo(Ip4.parse("10.32.1.0"));
        JsonNode o = oracle("10.32.1.0/24");
        assertThat(o.get("flags").toString()).contains("onlink");
        assertThat(o.get("gateway").asText()).isEqualTo("10.32.1.0");
    }

    @Test
    void replaceIsIdempotentAndChangesTheGateway() {
        Ip4Net dst = Ip4Net.parse("10.33.0.0/16");
        host.nl().routes().replace(Route.ip4(dst).via(Ip4.parse("10.30.0.2")).device(dev));
        host.nl().routes().replace(Route.ip4(dst).via(Ip4.parse("10.30.0.2")).device(dev));
        assertThatThrownBy(() -> host.nl().routes().add(Route.ip4(dst).via(Ip4.parse("10.30.0.2")).device(dev)))
                .isInstanceOf(NetlinkException.Exists.class);

        host.nl().routes().replace(Route.ip4(dst).via(Ip4.parse("10.30.0.3")).device(dev));

        assertThat(host.nl().routes().listIp4().stream().filter(r -> !r.isDefault() && r.ip4Destination().equals(dst)))
                .singleElement().extracting(Route::ip4Gateway).isEqualTo(Ip4.parse("10.30.0.3"));
        assertThat(oracle("10.33.0.0/16").get("gateway").asText()).isEqualTo("10.30.0.3");
    }

    @Test
    void deviceRouteHasLinkScopeAndOtherTable() {
        Route r = Route.ip4(Ip4Net.parse("10.34.0.0/24")).device(dev).withTable(100);
        host.nl().routes().add(r);

        Route back = host.nl().routes().list(2).stream()
                .filter(x -> x.table() == 100 && x.ip4Destination().equals(Ip4Net.parse("10.34.0.0/24")))
                .findFirst().orElseThrow();
        assertThat(back.scope()).isEqualTo(Route.SCOPE_LINK);
        assertThat(back.gateway()).isNull();
        assertThat(find(host.nl().routes().listIp4(), "10.34.0.0/24")).as("not in the main table").isNull();
        JsonNode o = oracle("10.34.0.0/24", "table", "100");
        assertThat(o.get("scope").asText()).isEqualTo("link");
        assertThat(o.get("dev").asText()).isEqualTo("rt0");

        // a table above 255 goes in RTA_TABLE
        host.nl().routes().add(Route.ip4(Ip4Net.parse("10.35.0.0/24")).device(dev).withTable(1000));
        assertThat(host.nl().routes().list(2)).anyMatch(x -> x.table() == 1000);
        assertThat(oracle("10.35.0.0/24", "table", "1000")).isNotNull();
        host.nl().routes().delete(Route.ip4(Ip4Net.parse("10.35.0.0/24")).device(dev).withTable(1000));
        assertThat(host.nl().routes().list(2)).noneMatch(x -> x.table() == 1000);
    }

    @Test
    void defaultRouteAndKernelRoutesAreListed() {
        host.nl().routes().replace(Route.defaultIp4().via(Ip4.parse("10.30.0.254")));

        List<Route> routes = host.nl().routes().listIp4();
        assertThat(routes).anySatisfy(r -> {
            assertThat(r.isDefault()).isTrue();
            assertThat(r.ip4Gateway()).isEqualTo(Ip4.parse("10.30.0.254"));
        });
        assertThat(routes).anySatisfy(r -> {
            assertThat(r.ip4Destination()).isEqualTo(Ip4Net.parse("10.30.0.0/24"));
            assertThat(r.protocol()).isEqualTo(Route.PROTOCOL_KERNEL);
            assertThat(r.preferredSource()).isEqualTo(Ip4.parse("10.30.0.1").toInetAddress());
        });
        assertThat(host.ns().ipJson("route", "show", "default").get(0).get("gateway").asText()).isEqualTo("10.30.0.254");
        assertThat(routes).hasSize(host.ns().ipJson("route", "show").size());
    }

    @Test
    void deletingAMissingRouteIsNotFound() {
        assertThatThrownBy(() -> host.nl().routes().delete(Route.ip4(Ip4Net.parse("10.36.0.0/24")).device(dev)))
                .isInstanceOf(NetlinkException.NotFound.class)
                .hasMessageStartingWith("RTM_DELROUTE failed: No such process (ESRCH)");
    }
}
