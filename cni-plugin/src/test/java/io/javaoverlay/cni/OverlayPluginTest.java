package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import io.javaoverlay.cni.model.Attachment;
import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.Interface;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.firewall.IptablesException;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

/** The plugin's logic (IPAM, rollback, results, CHECK, GC, STATUS) over an in-memory datapath. */
class OverlayPluginTest extends FakeHostPluginTest {

    private final List<String> masqCalls = firewall.masqueradeCalls;

    @Override
    void writeSubnetEnv(Path file) throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true).write(file);
    }

    private NetConf conf(Optional<Boolean> ipMasq, Optional<Result> prev, Optional<List<Attachment>> valid) {
        return netConf(CniVersion.V1_1_0, ipMasq, true, prev, valid);
    }

    private NetConf conf() {
        return conf(Optional.empty(), Optional.empty(), Optional.empty());
    }

    @Test
    void addWiresThePodAndReturnsBridgeVethAndPodInterfaces() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThat(r.interfaces()).extracting(Interface::name).startsWith("cni0").endsWith("eth0");
        assertThat(r.interfaces().get(1).name()).matches("veth[0-9a-f]{8}");
        assertThat(r.interfaces().get(2).sandbox()).contains(netns.toString());
        assertThat(r.interfaces().get(0).sandbox()).isEmpty();
        assertThat(r.ips()).hasSize(1);
        assertThat(r.ips().get(0).address()).isEqualTo("10.5.72.2/24");
        assertThat(r.ips().get(0).gateway()).contains("10.5.72.1");
        assertThat(r.ips().get(0).interfaceIndex()).hasValue(2);
        assertThat(r.routes()).extracting(rt -> rt.dst() + " via " + rt.gw().orElse("?"))
                .containsExactly("10.5.0.0/16 via 10.5.72.1", "0.0.0.0/0 via 10.5.72.1");
        assertThat(datapath.addresses("cni0")).singleElement().hasToString("10.5.72.1/24");
        assertThat(datapath.forwarding).isTrue();
        assertThat(datapath.hairpin).containsExactly(r.interfaces().get(1).name());
        assertThat(datapath.pods.get(netns).get("eth0").link().mtu()).isEqualTo(1450);
        assertThat(reservations().all()).containsEntry(Ip4.parse("10.5.72.2"), Owner.cni("podnet", "c1", "eth0"));
        // FLANNEL_IPMASQ=true: the agent masquerades, so the plugin does not
        assertThat(masqCalls).isEmpty();
    }

    @Test
    void aPrevResultFromAnEarlierPluginIsKeptAndOursAppended() {
        Result earlier = new Result(List.of(Interface.sandboxed("net0", "0a:00:00:00:00:01", 1500, netns.toString())),
                List.of(new io.javaoverlay.cni.model.IpConfig("192.168.9.5/24", Optional.empty(), OptionalInt.of(0))),
                List.of(io.javaoverlay.cni.model.Route.via("192.168.0.0/16", "192.168.9.1")),
                new Dns(List.of("192.168.9.53"), Optional.empty(), List.of(), List.of()));
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf(Optional.empty(), Optional.of(earlier), Optional.empty()));
        assertThat(r.interfaces()).extracting(Interface::name).startsWith("net0", "cni0").endsWith("eth0").hasSize(4);
        assertThat(r.ips()).hasSize(2);
        assertThat(r.ips().get(0).address()).isEqualTo("192.168.9.5/24");
        assertThat(r.ips().get(1).interfaceIndex()).hasValue(3);
        assertThat(r.routes()).hasSize(3);
        assertThat(r.dns().nameservers()).as("no dns of our own: the earlier one stays").containsExactly("192.168.9.53");
    }

    @Test
    void ipMasqDefaultsToTheOppositeOfTheAgentsAndCanBeForced() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, false).write(subnetFile);
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThat(masqCalls).containsExactly("podnet 10.5.0.0/16 10.5.72.0/24");
        plugin.add(env(CniCommand.ADD, "c2", Files.createFile(dir.resolve("ns2"))), conf(Optional.of(false), Optional.empty(), Optional.empty()));
        assertThat(masqCalls).hasSize(1);
    }

    @Test
    void aMasqueradeTheHostRefusesIsAFirewallFailureAndTheAddKeepsNothing() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, false).write(subnetFile);
        firewall.failure = new IptablesException("iptables -t nat -N JO-CNI-0badf00d", 4, "xtables lock held");
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", netns), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.FIREWALL_FAILURE);
                    assertThat(e.msg()).isEqualTo("cannot set up the masquerade rules for podnet");
                    assertThat(e.details()).contains("xtables lock held");
                });
        assertThat(reservations().all()).isEmpty();
        assertThat(datapath.links.keySet()).containsExactly("cni0");
        assertThat(datapath.pods.getOrDefault(netns, Map.of())).isEmpty();
    }

    @Test
    void checkFailsWhenTheMasqueradeRulesAreGoneOrCannotBeRead() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, false).write(subnetFile);
        Result added = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        NetConf withPrev = conf(Optional.empty(), Optional.of(added), Optional.empty());
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);

        firewall.dropMasquerade("podnet");
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.details()).contains("masquerade rules for 10.5.72.0/24 are missing"));
        firewall.failure = new java.io.UncheckedIOException(new java.io.IOException("cannot run iptables"));
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FIREWALL_FAILURE));
    }

    @Test
    void anAddWhoseCallerWentAwayKeepsNothing() {
        // gone after the allocation (the IPAM lock wait), then gone only after the veth was made
        for (int askedBeforeGone : new int[] {0, 1}) {
            int[] asked = {0};
            OverlayPlugin forGoneCaller = new OverlayPlugin(datapath, firewall, () -> asked[0]++ >= askedBeforeGone);
            assertThatThrownBy(() -> forGoneCaller.add(env(CniCommand.ADD, "c" + askedBeforeGone, netns), conf()))
                    .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TRY_AGAIN_LATER));
            assertThat(asked[0]).isEqualTo(askedBeforeGone + 1);
            assertThat(reservations().all()).isEmpty();
            assertThat(datapath.links.keySet()).containsExactly("cni0");
            assertThat(datapath.pods.getOrDefault(netns, Map.of())).isEmpty();
        }
        assertThat(plugin.add(env(CniCommand.ADD, "c1", netns), conf()).ips()).hasSize(1);
    }

    @Test
    void anExistingInterfaceIsAnErrorAndTakesNothing() {
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c2", netns), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERFACE_EXISTS));
        assertThat(reservations().all()).hasSize(1);
    }

    @Test
    void aFailureHalfWayLeavesNoLinkAndNoReservation() {
        assertAddOfC1FailsConfiguringThePod(conf());
        assertThat(datapath.links.keySet()).containsExactly("cni0");
        assertThat(datapath.pods.get(netns)).isEmpty();
        assertThat(reservations().all()).isEmpty();
    }

    @Test
    void missingSubnetEnvIsTryAgainNamingTheFile() throws Exception {
        Files.delete(subnetFile);
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", netns), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.TRY_AGAIN_LATER);
                    assertThat(e.msg()).contains("agent is not running");
                    assertThat(e.details()).contains(subnetFile.toString());
                });
        assertThat(datapath.links).isEmpty();
    }

    @Test
    void anIpamLockHeldElsewhereIsTryAgainNamingTheLockFileAndTakesNothing() throws Exception {
        DiskStore store = DiskStore.open(dir.resolve("ipam"));
        store.lock().close();
        try (io.javaoverlay.testkit.LockHolder holder = io.javaoverlay.testkit.LockHolder.hold(store.lockFile())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", netns), conf()))
                    .isInstanceOfSatisfying(CniException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.TRY_AGAIN_LATER);
                        assertThat(e.code().code()).isEqualTo(11);
                        assertThat(e.msg()).contains("locked by another process");
                        assertThat(e.details()).contains(store.lockFile().toString());
                    });
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
                    .isBetween(io.javaoverlay.core.files.LockFile.DEFAULT_WAIT.minusMillis(100),
                            io.javaoverlay.core.files.LockFile.DEFAULT_WAIT.plusSeconds(5));
            assertThat(datapath.links.keySet()).as("no veth").containsExactly("cni0");
            assertThat(datapath.pods.getOrDefault(netns, Map.of())).isEmpty();
        }
        assertThat(reservations().all()).as("no reservation").isEmpty();
    }

    @Test
    void missingNetnsIsAnEnvironmentError() {
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c1", dir.resolve("gone")), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENVIRONMENT));
        assertThat(reservations().all()).isEmpty();
    }

    @Test
    void requestedAddressIsHonouredAndATakenOneRefused() {
        CniEnv env = new CniEnv(CniCommand.ADD, "c1", netns.toString(), "eth0", Map.of("IP", "10.5.72.50"), "");
        assertThat(plugin.add(env, conf()).ips().get(0).address()).isEqualTo("10.5.72.50/24");
        CniEnv again = new CniEnv(CniCommand.ADD, "c2", dir.resolve("netns-pod1").toString(), "eth1", Map.of("IP", "10.5.72.50"), "");
        assertThatThrownBy(() -> plugin.add(again, conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_UNAVAILABLE));
        assertThat(datapath.pods.get(netns)).containsOnlyKeys("eth0");
    }

    @Test
    void delIsIdempotentAndWorksWithoutNetnsOrSubnetEnv() throws Exception {
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        plugin.del(env(CniCommand.DEL, "c1", netns), conf());
        assertThat(datapath.pods.get(netns)).isEmpty();
        assertThat(datapath.links.keySet()).containsExactly("cni0");
        assertThat(reservations().all()).isEmpty();
        plugin.del(env(CniCommand.DEL, "c1", netns), conf());
        // containerd sends an empty CNI_NETNS when the namespace is gone; the agent may be gone too
        plugin.add(env(CniCommand.ADD, "c2", netns), conf());
        delWithNeitherNamespaceNorAgent("c2", conf());
        assertThat(reservations().all()).isEmpty();
        plugin.del(env(CniCommand.DEL, "never-added", dir.resolve("no-such-ns")), conf());
    }

    @Test
    void checkPassesRightAfterAddAndFailsWhenSomethingIsGone() {
        Result r = plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        NetConf withPrev = conf(Optional.empty(), Optional.of(r), Optional.empty());
        plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev);

        reservations().release(Owner.cni("podnet", "c1", "eth0"));
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CHECK_FAILED);
                    assertThat(e.details()).contains("reservation");
                });

        datapath.deletePodInterface(netns, "eth0");
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), withPrev))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.details()).contains("missing"));
        assertThatThrownBy(() -> plugin.check(env(CniCommand.CHECK, "c1", netns), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG));
    }

    @Test
    void gcReleasesOnlyThisNetworksStaleAttachments() throws Exception {
        plugin.add(env(CniCommand.ADD, "keep", netns), conf());
        plugin.add(env(CniCommand.ADD, "stale", Files.createFile(dir.resolve("ns2"))), conf());
        new io.javaoverlay.core.ipam.Allocator(Ip4Net.parse("10.5.72.0/24"), Ip4.parse("10.5.72.1"), DiskStore.open(dir.resolve("ipam")))
                .allocate(Owner.of("docker", "pool", ""));
        plugin.gc(env(CniCommand.GC, "x", null),
                conf(Optional.empty(), Optional.empty(), Optional.of(List.of(new Attachment("keep", "eth0")))));
        assertThat(reservations().all().values())
                .containsExactlyInAnyOrder(Owner.cni("podnet", "keep", "eth0"), Owner.of("docker", "pool", ""));
        assertThatThrownBy(() -> plugin.gc(env(CniCommand.GC, "x", null), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG));
    }

    @Test
    void statusIsReadyOnlyWithAValidSubnetEnv() throws Exception {
        plugin.status(env(CniCommand.STATUS, "x", null), conf());
        Files.writeString(subnetFile, "garbage\n");
        assertThatThrownBy(() -> plugin.status(env(CniCommand.STATUS, "x", null), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_AVAILABLE));
        Files.delete(subnetFile);
        assertThatThrownBy(() -> plugin.status(env(CniCommand.STATUS, "x", null), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_AVAILABLE));
    }

    @Test
    void statusSaysLimitedConnectivityWhenTheAgentIsGoneUnderRunningContainers() throws Exception {
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        Files.delete(subnetFile);
        assertThatThrownBy(() -> plugin.status(env(CniCommand.STATUS, "x", null), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMITED_CONNECTIVITY));
    }

    @Test
    void statusSaysNotAvailableWhenTheSubnetIsFull() throws Exception {
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/30"), 1450, true).write(subnetFile);
        plugin.add(env(CniCommand.ADD, "c1", netns), conf());
        assertThatThrownBy(() -> plugin.status(env(CniCommand.STATUS, "x", null), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_AVAILABLE));
        assertThatThrownBy(() -> plugin.add(env(CniCommand.ADD, "c2", Files.createFile(dir.resolve("ns2"))), conf()))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_EXHAUSTED));
    }
}
