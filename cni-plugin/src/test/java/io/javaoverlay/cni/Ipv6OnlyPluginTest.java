package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import io.javaoverlay.cni.model.Attachment;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.net.Ip4Net;

/**
 * IPv6-only attachments: subnet.env as flanneld writes it with {@code "EnableIPv4": false} (the
 * IPv6 pair, no FLANNEL_NETWORK or FLANNEL_SUBNET), over an in-memory datapath.
 */
class Ipv6OnlyPluginTest extends FakeHostPluginTest {

    /** flannel's WriteSubnetFile for an IPv6-only network, byte for byte. */
    static final String FLANNELD_IPV6_ONLY = "FLANNEL_IPV6_NETWORK=fc00:5::/48\nFLANNEL_IPV6_SUBNET=fc00:5:0:34::1/64\n"
            + "FLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n";

    @Override
    void writeSubnetEnv(Path file) throws Exception {
        Files.writeString(file, FLANNELD_IPV6_ONLY);
    }

    private NetConf conf(CniVersion version, Optional<Boolean> ipMasq, Optional<Result> prev, Optional<List<Attachment>> valid) {
        return netConf(version, ipMasq, true, prev, valid);
    }

    private NetConf conf() {
        return conf(CniVersion.V1_1_0, Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Test
    void thePodGetsOnlyAnIpv6AddressItsGatewayAndRoutesToTheIpv6NetworkAndDefault() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThat(r.ips()).extracting(ip -> ip.address() + " gw " + ip.gateway().orElse("?") + " if " + ip.interfaceIndex().getAsInt())
                .containsExactly("fc00:5:0:34::2/64 gw fc00:5:0:34::1 if 2");
        assertThat(r.routes()).extracting(rt -> rt.dst() + " via " + rt.gw().orElse("?"))
                .containsExactly("fc00:5::/48 via fc00:5:0:34::1", "::/0 via fc00:5:0:34::1");
        // the bridge: the IPv6 subnet's first address, no IPv4 address at all
        assertThat(datapath.links.get("cni0").kind()).isEqualTo("bridge");
        assertThat(datapath.addresses("cni0")).isEmpty();
        assertThat(datapath.bridge6.get("cni0")).hasToString("fc00:5:0:34::1/64");
        // the pod: no IPv4 side configured, the IPv6 one as the result says
        assertThat(datapath.inspectPod(netns, "eth0").orElseThrow().addresses()).isEmpty();
        HostAttachment.Pod6State pod6 = datapath.inspectPod6(netns, "eth0").orElseThrow();
        assertThat(pod6.addresses()).singleElement().hasToString("fc00:5:0:34::2/64");
        assertThat(pod6.routes()).extracting(Object::toString).containsExactly("fc00:5::/48 via fc00:5:0:34::1", "::/0 via fc00:5:0:34::1");
        // the shared IPAM store holds the IPv6 address only; IPv4 forwarding is left alone
        assertThat(reservations().all()).isEmpty();
        assertThat(reservations().all6()).containsExactly(Map.entry(ip6("fc00:5:0:34::2"), Owner.cni("podnet", "c1", "eth0")));
        assertThat(datapath.forwarding).isFalse();
    }

    @Test
    void everySpecVersionThatAllowsIpv6CarriesOnlyTheIpv6Address() {
        addC1InEveryVersion(conf()).forEach((v, parsed) -> {
            if (v.legacyResult()) {
                // 0.1.0/0.2.0: "ip6" alone
                assertThat(parsed).as(v.text()).containsOnlyKeys("cniVersion", "ip6", "dns").containsEntry("ip6", Map.of(
                        "ip", "fc00:5:0:34::2/64", "gateway", "fc00:5:0:34::1", "routes", List.of(
                                Map.of("dst", "fc00:5::/48", "gw", "fc00:5:0:34::1"), Map.of("dst", "::/0", "gw", "fc00:5:0:34::1"))));
                return;
            }
            List<Map<String, Object>> ips = objects(parsed, "ips");
            assertThat(ips).as(v.text()).singleElement().satisfies(ip -> {
                assertThat(ip).containsEntry("address", "fc00:5:0:34::2/64").containsEntry("gateway", "fc00:5:0:34::1")
                        .containsEntry("interface", 2L);
                if (v.ipsCarryVersion()) {
                    assertThat(ip).containsEntry("version", "6");
                }
            });
            List<Map<String, Object>> routes = objects(parsed, "routes");
            assertThat(routes).as(v.text()).extracting(rt -> rt.get("dst") + " via " + rt.get("gw"))
                    .containsExactly("fc00:5::/48 via fc00:5:0:34::1", "::/0 via fc00:5:0:34::1");
        });
    }

    @Test
    void aSecondPodGetsTheNextAddressAndDelFreesThem() throws Exception {
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        Path ns2 = netns2();
        Result r2 = plugin.add(env(CniCommand.ADD, "c2", ns2), conf());
        assertThat(r2.ips()).extracting(ip -> ip.address()).containsExactly("fc00:5:0:34::3/64");
        plugin.del(env(CniCommand.DEL, "c1", netns), conf());
        assertThat(datapath.inspectPod6(netns, "eth0")).isEmpty();
        assertThat(reservations().all6().values()).containsExactly(Owner.cni("podnet", "c2", "eth0"));
        delWithNeitherNamespaceNorAgent("c2", conf());
        assertThat(reservations().all6()).as("the address is still freed").isEmpty();
    }

    @Test
    void checkVerifiesTheIpv6SideAndNeedsNoIpv4() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        NetConf withPrev = conf(CniVersion.V1_1_0, Optional.empty(), Optional.of(r), Optional.empty());
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);

        assertCheckFindsTheIpv6DefaultRouteMissing(withPrev);
    }

    @Test
    void ipMasqWritesOnlyTheIpv6RulesAndCheckAndTheLastDelFollowThem() {
        NetConf masq = conf(CniVersion.V1_1_0, Optional.of(true), Optional.empty(), Optional.empty());
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), masq);
        assertThat(firewall.masquerade6Calls).containsExactly("podnet fc00:5::/48 fc00:5:0:34::/64");
        assertThat(firewall.masqueradeCalls).as("no IPv4 rule").isEmpty();
        NetConf withPrev = conf(CniVersion.V1_1_0, Optional.of(true), Optional.of(r), Optional.empty());
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);

        assertCheckFindsTheIpv6MasqueradeMissingUntilTheNextAdd(masq, withPrev);
        assertThat(firewall.masqueradeCalls).isEmpty();
    }

    @Test
    void gcReleasesStaleAttachmentsAndTheirRules() throws Exception {
        NetConf masq = conf(CniVersion.V1_1_0, Optional.of(true), Optional.empty(), Optional.empty());
        plugin.add(env(CniCommand.ADD, "keep", netns), masq);
        plugin.add(env(CniCommand.ADD, "stale", netns2()), masq);
        plugin.gc(env(CniCommand.GC, "x", null), conf(CniVersion.V1_1_0, Optional.of(true), Optional.empty(),
                Optional.of(List.of(new Attachment("keep", "eth0")))));
        assertThat(reservations().all6().values()).containsExactly(Owner.cni("podnet", "keep", "eth0"));
        assertThat(firewall.hasMasquerade("podnet")).isTrue();
        plugin.gc(env(CniCommand.GC, "x", null), conf(CniVersion.V1_1_0, Optional.of(true), Optional.empty(), Optional.of(List.of())));
        assertThat(reservations().all6()).isEmpty();
        assertThat(firewall.hasMasquerade("podnet")).isFalse();
    }

    @Test
    void statusIsReadyWhileTheIpv6SubnetHasRoom() {
        plugin.status(env(CniCommand.STATUS, "", null), conf());
    }

    @Test
    void anIpv4AddressAskedOfAnIpv6OnlyHostIsRefusedAndNothingIsMade() {
        CniEnv env = new CniEnv(CniCommand.ADD, "c1", netns.toString(), "eth0", Map.of("IP", "10.5.72.50"), "");
        assertThatThrownBy(() -> plugin.add(env, conf()))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_UNAVAILABLE);
                    assertThat(e.msg()).isEqualTo("an IPv4 address was requested but this host has no IPv4 subnet");
                    assertThat(e.details()).contains("EnableIPv4");
                });
        assertThat(datapath.links).isEmpty();
        assertThat(reservations().all6()).isEmpty();
    }

    @Test
    void aFailureConfiguringThePodReleasesTheIpv6Address() {
        assertAddOfC1FailsConfiguringThePod(conf());
        assertThat(reservations().all6()).isEmpty();
        assertThat(datapath.links.keySet()).containsExactly("cni0");
    }

    @Test
    void aBridgeThatHeldAnIpv4LeaseBeforeLosesThatAddress() {
        datapath.ensureBridge("cni0", Ip4Net.parseHost("10.5.72.1/24"), 1450);
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThat(datapath.addresses("cni0")).isEmpty();
        assertThat(datapath.bridge6.get("cni0")).hasToString("fc00:5:0:34::1/64");
    }
}
