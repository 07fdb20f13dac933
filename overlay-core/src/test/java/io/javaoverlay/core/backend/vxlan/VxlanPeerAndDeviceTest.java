package io.javaoverlay.core.backend.vxlan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.javaoverlay.core.backend.PeerRejection;
import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.lease.LeaseAttrs;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.core.netlink.Link;
import io.javaoverlay.core.netlink.VxlanInfo;

class VxlanPeerAndDeviceTest {

    private static Lease lease(String json) {
        return new Lease(Ip4Net.parse("10.5.7.0/24"), Optional.empty(), LeaseAttrs.parse(json), false, Optional.empty(), 1);
    }

    @Test
    void aFlannelVxlanLeaseGivesThePeersVtep() {
        VxlanPeer.Result r = VxlanPeer.from(lease(
                "{\"PublicIP\":\"10.0.0.7\",\"PublicIPv6\":null,\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"0a:58:0a:05:07:00\"}}"));
        assertThat(r.problem()).isNull();
        assertThat(r.peer()).isEqualTo(new VxlanPeer(Ip4Net.parse("10.5.7.0/24"), Ip4.parse("10.0.0.7"),
                MacAddress.parse("0a:58:0a:05:07:00"), false));
    }

    @Test
    void keysAreMatchedAsGoDecodesThem() {
        VxlanPeer.Result r = VxlanPeer.from(lease(
                "{\"PublicIP\":\"10.0.0.7\",\"BackendType\":\"vxlan\",\"BackendData\":{\"vni\":1,\"vtepmac\":\"0a:58:0a:05:07:00\"}}"));
        assertThat(r.peer()).isNotNull();
    }

    @Test
    void leasesOfOtherBackendsOrWithoutAMacAreRefusedWithTheReason() {
        assertThat(VxlanPeer.from(lease("{\"PublicIP\":\"10.0.0.7\",\"BackendType\":\"host-gw\"}")).problem().detail())
                .contains("\"host-gw\"").contains("not \"vxlan\"");
        assertThat(VxlanPeer.from(lease("{\"PublicIP\":\"10.0.0.7\"}")).problem().detail()).contains("missing");
        assertThat(VxlanPeer.from(lease("{\"PublicIP\":\"10.0.0.7\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1}}")).problem())
                .isEqualTo(new PeerRejection(PeerRejection.Reason.BAD_BACKEND_DATA, "its BackendData has no VtepMAC"));
        assertThat(VxlanPeer.from(lease("{\"PublicIP\":\"10.0.0.7\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VtepMAC\":\"zz\"}}"))
                .problem().detail()).contains("\"zz\" is not a MAC address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "01:00:5e:00:00:01", "33:33:00:00:00:01"})
    void groupAndZeroMacsAreNotAVtep(String mac) {
        VxlanPeer.Result r = VxlanPeer.from(lease("{\"PublicIP\":\"10.0.0.7\",\"BackendType\":\"vxlan\",\"BackendData\":{\"VtepMAC\":\"" + mac + "\"}}"));
        assertThat(r.peer()).isNull();
        assertThat(r.problem().reason()).isEqualTo(PeerRejection.Reason.BAD_VTEP_MAC);
    }

    private static final VxlanInfo WANTED = VxlanInfo.of(1, Ip4.parse("10.0.0.5"), 2, 8472);
    private static final VxlanDevice DEVICE = new VxlanDevice("flannel.1", WANTED, MacAddress.parse("0a:00:00:00:00:01"), 1450);

    private static Link link(String kind, VxlanInfo info) {
        return new Link(7, "flannel.1", kind, 1, 1450, MacAddress.parse("0a:00:00:00:00:01"), 0, 2, false, info);
    }

    @Test
    void anExistingDeviceWithTheWantedSettingsIsKept() {
        assertThat(DEVICE.incompatibility(link("vxlan", WANTED))).isEmpty();
    }

    @Test
    void everySettingThatMattersMakesTheDeviceIncompatibleAndSaysWhich() {
        assertThat(DEVICE.incompatibility(link("bridge", null))).hasValueSatisfying(s -> assertThat(s).contains("bridge device, not VXLAN"));
        assertThat(DEVICE.incompatibility(link("vxlan", VxlanInfo.of(2, Ip4.parse("10.0.0.5"), 2, 8472))))
                .hasValueSatisfying(s -> assertThat(s).contains("VNI 2 instead of 1"));
        assertThat(DEVICE.incompatibility(link("vxlan", VxlanInfo.of(1, Ip4.parse("10.0.0.6"), 2, 8472))))
                .hasValueSatisfying(s -> assertThat(s).contains("local address 10.0.0.6 instead of 10.0.0.5"));
        assertThat(DEVICE.incompatibility(link("vxlan", VxlanInfo.of(1, Ip4.parse("10.0.0.5"), 3, 8472))))
                .hasValueSatisfying(s -> assertThat(s).contains("underlay device #3 instead of #2"));
        assertThat(DEVICE.incompatibility(link("vxlan", VxlanInfo.of(1, Ip4.parse("10.0.0.5"), 2, 4789))))
                .hasValueSatisfying(s -> assertThat(s).contains("port 4789 instead of 8472"));
        assertThat(DEVICE.incompatibility(link("vxlan", WANTED.withLearning(true))))
                .hasValueSatisfying(s -> assertThat(s).contains("learning on"));
        assertThat(DEVICE.incompatibility(link("vxlan", WANTED.withGbp(true))))
                .hasValueSatisfying(s -> assertThat(s).contains("GBP on"));
    }
}
