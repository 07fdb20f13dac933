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
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.core.ipam.Allocator6;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/** Dual-stack attachments (subnet.env with FLANNEL_IPV6_SUBNET) over an in-memory datapath. */
class DualStackPluginTest extends FakeHostPluginTest {

    @Override
    void writeSubnetEnv(Path file) throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), Optional.of(Ip6Net.parse("fc00:5::/48")),
                Optional.of(Ip6Net.parse("fc00:5:0:34::/64")), 1450, true).write(file);
    }

    private NetConf conf(CniVersion version, boolean defaultGateway, Optional<Result> prev, Optional<List<Attachment>> valid) {
        return netConf(version, Optional.empty(), defaultGateway, prev, valid);
    }

    private NetConf conf() {
        return conf(CniVersion.V1_1_0, true, Optional.empty(), Optional.empty());
    }

    /** {@code "ipMasq": true}: the plugin masquerades (the agent does not). */
    private NetConf masqConf(Optional<Result> prev, Optional<List<Attachment>> valid) {
        return netConf(CniVersion.V1_1_0, Optional.of(true), true, prev, valid);
    }

    @Test
    void aDualStackHostGivesThePodBothAddressesBothGatewaysAndRoutesToBothNetworks() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThat(r.ips()).extracting(ip -> ip.address() + " gw " + ip.gateway().orElse("?") + " if " + ip.interfaceIndex().getAsInt())
                .containsExactly("10.5.72.2/24 gw 10.5.72.1 if 2", "fc00:5:0:34::2/64 gw fc00:5:0:34::1 if 2");
        assertThat(r.routes()).extracting(rt -> rt.dst() + " via " + rt.gw().orElse("?")).containsExactly(
                "10.5.0.0/16 via 10.5.72.1", "0.0.0.0/0 via 10.5.72.1", "fc00:5::/48 via fc00:5:0:34::1", "::/0 via fc00:5:0:34::1");
        assertThat(datapath.bridge6.get("cni0")).hasToString("fc00:5:0:34::1/64");
        assertThat(datapath.addresses("cni0")).singleElement().hasToString("10.5.72.1/24");
        HostAttachment.Pod6State pod6 = datapath.inspectPod6(netns, "eth0").orElseThrow();
        assertThat(pod6.addresses()).singleElement().hasToString("fc00:5:0:34::2/64");
        assertThat(pod6.routes()).extracting(Object::toString).containsExactly("fc00:5::/48 via fc00:5:0:34::1", "::/0 via fc00:5:0:34::1");
        assertThat(reservations().all()).containsEntry(Ip4.parse("10.5.72.2"), Owner.cni("podnet", "c1", "eth0"));
        assertThat(reservations().all6()).containsEntry(ip6("fc00:5:0:34::2"), Owner.cni("podnet", "c1", "eth0"));
    }

    @Test
    void withoutIsDefaultGatewayThePodGetsOnlyTheRoutesToBothNetworks() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf(CniVersion.V1_0_0, false, Optional.empty(), Optional.empty()));
        assertThat(r.routes()).extracting(rt -> rt.dst()).containsExactly("10.5.0.0/16", "fc00:5::/48");
    }

    @Test
    void everySpecVersionCarriesBothFamiliesInItsOwnForm() {
        addC1InEveryVersion(conf()).forEach((v, parsed) -> {
            if (v.legacyResult()) {
                // 0.1.0/0.2.0: one address of each family, each with the routes of its family
                assertThat(parsed).as(v.text()).containsEntry("ip6", Map.of("ip", "fc00:5:0:34::2/64", "gateway", "fc00:5:0:34::1",
                        "routes", List.of(Map.of("dst", "fc00:5::/48", "gw", "fc00:5:0:34::1"), Map.of("dst", "::/0", "gw", "fc00:5:0:34::1"))));
                assertThat(parsed).as(v.text()).containsEntry("ip4", Map.of("ip", "10.5.72.2/24", "gateway", "10.5.72.1",
                        "routes", List.of(Map.of("dst", "10.5.0.0/16", "gw", "10.5.72.1"), Map.of("dst", "0.0.0.0/0", "gw", "10.5.72.1"))));
                return;
            }
            List<Map<String, Object>> ips = objects(parsed, "ips");
            assertThat(ips).hasSize(2);
            assertThat(ips.get(1)).containsEntry("address", "fc00:5:0:34::2/64").containsEntry("gateway", "fc00:5:0:34::1")
                    .containsEntry("interface", 2L);
            if (v.ipsCarryVersion()) {
                assertThat(ips).extracting(ip -> ip.get("version")).containsExactly("4", "6");
            }
        });
    }

    @Test
    void addressesAreHandedOutRoundRobinAndDelReleasesBothFamilies() throws Exception {
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        plugin.del(env(CniCommand.DEL, "c1", netns), conf());
        assertThat(reservations().all()).isEmpty();
        assertThat(reservations().all6()).isEmpty();
        assertThat(datapath.inspectPod6(netns, "eth0")).isEmpty();
        Result r = plugin.add(env(CniCommand.ADD, "c2", Files.createFile(dir.resolve("ns2"))), conf());
        assertThat(r.ips()).extracting(ip -> ip.address()).containsExactly("10.5.72.3/24", "fc00:5:0:34::3/64");
        delWithNeitherNamespaceNorAgent("c2", conf());
        assertThat(reservations().all6()).as("both addresses are still freed").isEmpty();
    }

    @Test
    void checkVerifiesBothFamilies() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        NetConf withPrev = conf(CniVersion.V1_1_0, true, Optional.of(r), Optional.empty());
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);

        // the IPv6 default route deleted by hand
        assertCheckFindsTheIpv6DefaultRouteMissing(withPrev);

        // the IPv6 address gone
        datapath.configurePod6(netns, "eth0", io.javaoverlay.core.net.Ip6Host.parse("fc00:5:0:34::77/64"), List.of());
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.details()).contains("lacks address fc00:5:0:34::2/64"));
    }

    @Test
    void checkFailsWhenTheIpv6ReservationIsGone() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        reservations().releaseAddress6(ip6("fc00:5:0:34::2"));
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), conf(CniVersion.V1_1_0, true, Optional.of(r), Optional.empty())))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHECK_FAILED);
                    assertThat(e.details()).contains("reservation of fc00:5:0:34::2");
                });
    }

    @Test
    void aFullIpv6SubnetFailsTheAddAndKeepsNothing() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), Optional.of(Ip6Net.parse("fc00:5::/120")),
                Optional.of(Ip6Net.parse("fc00:5::34/126")), 1450, true).write(subnetFile);
        Allocator6 small = Allocator6.forHost(SubnetEnv.read(subnetFile), DiskStore.open(dir.resolve("ipam"))).orElseThrow();
        small.allocate(Owner.of("docker", "pool", ""));
        small.allocate(Owner.of("docker", "pool2", ""));
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", netns), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_EXHAUSTED);
                    assertThat(e.details()).contains("no free IPv6 address in fc00:5::34/126");
                });
        assertThat(reservations().all()).as("the IPv4 address taken first is given back").isEmpty();
        assertThat(datapath.links.keySet()).containsExactly("cni0");
    }

    @Test
    void aFailureConfiguringThePodReleasesBothAddresses() {
        assertAddOfC1FailsConfiguringThePod(conf());
        assertThat(reservations().all()).isEmpty();
        assertThat(reservations().all6()).isEmpty();
    }

    @Test
    void ipMasqMasqueradesBothFamiliesAndCheckVerifiesTheIpv6Rules() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), masqConf(Optional.empty(), Optional.empty()));
        assertThat(firewall.masqueradeCalls).containsExactly("podnet 10.5.0.0/16 10.5.72.0/24");
        assertThat(firewall.masquerade6Calls).containsExactly("podnet fc00:5::/48 fc00:5:0:34::/64");
        NetConf withPrev = masqConf(Optional.of(r), Optional.empty());
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);

        assertCheckFindsTheIpv6MasqueradeMissingUntilTheNextAdd(masqConf(Optional.empty(), Optional.empty()), withPrev);
    }

    @Test
    void withTheAgentMasqueradingThePluginWritesNoIpv6Rules() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf()); // FLANNEL_IPMASQ=true
        assertThat(firewall.masquerade6Calls).isEmpty();
        plugin.check(env(CniCommand.CHECK, "c1", netns), conf(CniVersion.V1_1_0, true, Optional.of(r), Optional.empty()));
    }

    @Test
    void anIpv6MasqueradeTheHostRefusesFailsTheAddAndKeepsNoAddress() {
        firewall.failure6 = new io.javaoverlay.core.firewall.IptablesException("ip6tables -t nat -N JO-CNI-0badf00d", 3,
                "ip6tables v1.8.9 (legacy): can't initialize ip6tables table `nat'");
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", netns), masqConf(Optional.empty(), Optional.empty())))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.FIREWALL_FAILURE);
                    assertThat(e.msg()).isEqualTo("cannot set up the IPv6 masquerade rules (ip6tables) for podnet");
                });
        assertThat(reservations().all()).isEmpty();
        assertThat(reservations().all6()).isEmpty();
    }

    @Test
    void theLastDelOfTheNetworkRemovesItsMasqueradeRulesAndNotBefore() throws Exception {
        plugin.add(env(CniCommand.ADD, "c1", netns), masqConf(Optional.empty(), Optional.empty()));
        Path ns2 = netns2();
        plugin.add(env(CniCommand.ADD, "c2", ns2), masqConf(Optional.empty(), Optional.empty()));
        // a container of another network, and the Docker face, keep nothing of podnet's alive
        reservations(); // the store exists
        Allocator6.forHost(SubnetEnv.read(subnetFile), DiskStore.open(dir.resolve("ipam"))).orElseThrow()
                .allocate(Owner.of("docker", "pool", ""));

        plugin.del(env(CniCommand.DEL, "c1", netns), masqConf(Optional.empty(), Optional.empty()));
        assertThat(firewall.hasMasquerade("podnet")).as("c2 still uses it").isTrue();
        assertThat(firewall.removedMasquerades).isEmpty();
        plugin.del(env(CniCommand.DEL, "c2", ns2), masqConf(Optional.empty(), Optional.empty()));
        assertThat(firewall.hasMasquerade("podnet")).isFalse();
        assertThat(firewall.removedMasquerades).containsExactly("podnet");
        // DEL again: nothing left, still success
        plugin.del(env(CniCommand.DEL, "c2", ns2), masqConf(Optional.empty(), Optional.empty()));
    }

    @Test
    void aDelWhoseRulesCannotBeRemovedStillSucceeds() {
        plugin.add(env(CniCommand.ADD, "c1", netns), masqConf(Optional.empty(), Optional.empty()));
        firewall.failure = new io.javaoverlay.core.firewall.IptablesException("ip6tables -t nat -S JO-CNI-0badf00d", 4, "xtables lock held");
        plugin.del(env(CniCommand.DEL, "c1", netns), masqConf(Optional.empty(), Optional.empty()));
        assertThat(reservations().all()).isEmpty();
        assertThat(reservations().all6()).isEmpty();
    }

    @Test
    void gcRemovesTheMasqueradeRulesWhenNoAttachmentIsLeft() throws Exception {
        plugin.add(env(CniCommand.ADD, "keep", netns), masqConf(Optional.empty(), Optional.empty()));
        plugin.add(env(CniCommand.ADD, "stale", netns2()), masqConf(Optional.empty(), Optional.empty()));
        plugin.gc(env(CniCommand.GC, "x", null), masqConf(Optional.empty(), Optional.of(List.of(new Attachment("keep", "eth0")))));
        assertThat(firewall.hasMasquerade("podnet")).isTrue();
        plugin.gc(env(CniCommand.GC, "x", null), masqConf(Optional.empty(), Optional.of(List.of())));
        assertThat(firewall.hasMasquerade("podnet")).isFalse();
        assertThat(firewall.removedMasquerades).containsExactly("podnet");
    }

    @Test
    void gcReleasesBothFamiliesOfStaleAttachments() throws Exception {
        plugin.add(env(CniCommand.ADD, "keep", netns), conf());
        plugin.add(env(CniCommand.ADD, "stale", Files.createFile(dir.resolve("ns2"))), conf());
        plugin.gc(env(CniCommand.GC, "x", null),
                conf(CniVersion.V1_1_0, true, Optional.empty(), Optional.of(List.of(new Attachment("keep", "eth0")))));
        assertThat(reservations().all6().values()).containsExactly(Owner.cni("podnet", "keep", "eth0"));
        assertThat(reservations().all().values()).containsExactly(Owner.cni("podnet", "keep", "eth0"));
    }

    @Test
    void anIpv4OnlyHostGivesNoIpv6() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true).write(subnetFile);
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThat(r.ips()).extracting(ip -> ip.address()).containsExactly("10.5.72.2/24");
        assertThat(datapath.bridge6).isEmpty();
        assertThat(reservations().all6()).isEmpty();
    }

    @Test
    void aRequestedIpv6AddressIsHonouredAndATakenOneRefused() throws Exception {
        CniEnv env = new CniEnv(CniCommand.ADD, "c1", netns.toString(), "eth0", Map.of("IP", "10.5.72.50,fc00:5:0:34::50"), "");
        assertThat(plugin.add(env, conf()).ips()).extracting(ip -> ip.address()).containsExactly("10.5.72.50/24", "fc00:5:0:34::50/64");
        CniEnv again = new CniEnv(CniCommand.ADD, "c2", Files.createFile(dir.resolve("ns2")).toString(), "eth0",
                Map.of("IP", "fc00:5:0:34::50"), "");
        assertThatThrownBy(() -> plugin.add(again, conf()))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_UNAVAILABLE);
                    assertThat(e.details()).contains("fc00:5:0:34::50 is already in use by cni/podnet:c1/eth0");
                });
        assertThat(reservations().all()).as("c2's IPv4 address given back").hasSize(1);
        CniEnv gateway = new CniEnv(CniCommand.ADD, "c3", dir.resolve("ns2").toString(), "eth0", Map.of("IP", "fc00:5:0:34::1"), "");
        assertThatThrownBy(() -> plugin.add(gateway, conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.details()).contains("gateway"));
    }

    @Test
    void anIpv6AddressAskedOfAnIpv4OnlyHostIsRefused() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true).write(subnetFile);
        CniEnv env = new CniEnv(CniCommand.ADD, "c1", netns.toString(), "eth0", Map.of("IP", "fc00:5:0:34::50"), "");
        assertThatThrownBy(() -> plugin.add(env, conf()))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_UNAVAILABLE);
                    assertThat(e.msg()).contains("no IPv6 subnet");
                });
        assertThat(datapath.links).isEmpty();
    }
}
