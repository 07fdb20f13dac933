package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

/** Validation of the value records and the error type, without a kernel. */
class ValuesTest {

    @Test
    void errnoBecomesTypedExceptionsWithTheAgreedMessage() {
        NetlinkException e = NetlinkException.of("RTM_NEWLINK", 17);
        assertThat(e).isInstanceOf(NetlinkException.Exists.class).hasMessage("RTM_NEWLINK failed: File exists (EEXIST)");
        assertThat(e.errno()).isEqualTo(17);
        assertThat(e.operation()).isEqualTo("RTM_NEWLINK");
        assertThat(NetlinkException.of("RTM_DELLINK", 19)).isInstanceOf(NetlinkException.NotFound.class);
        assertThat(NetlinkException.of("RTM_DELNEIGH", 2)).isInstanceOf(NetlinkException.NotFound.class);
        assertThat(NetlinkException.of("RTM_DELROUTE", 3)).isInstanceOf(NetlinkException.NotFound.class);
        NetlinkException other = NetlinkException.of("RTM_NEWROUTE", 22, "route x", "Nexthop has invalid gateway");
        assertThat(other.getClass()).isEqualTo(NetlinkException.class);
        assertThat(other).hasMessage("RTM_NEWROUTE failed: Invalid argument (EINVAL) [route x]: kernel says \"Nexthop has invalid gateway\"");
        assertThat(Errno.describe(250)).isEqualTo("Unknown error 250");
        assertThat(Errno.name(250)).isEqualTo("errno 250");
    }

    @Test
    void availableOnLinux() {
        assertThat(Netlink.isAvailable()).as("cause: %s", Netlink.unavailabilityCause()).isTrue();
        assertThat(Netlink.unavailabilityCause()).isNull();
    }

    @Test
    void vxlanInfoRejectsOutOfRangeValues() {
        assertThatThrownBy(() -> VxlanInfo.of(1 << 24, null, 0, 8472)).hasMessageContaining("VNI");
        assertThatThrownBy(() -> VxlanInfo.of(1, null, 0, 0)).hasMessageContaining("port");
        assertThat(VxlanInfo.of(1, null, 0, 8472).withLearning(true).withGbp(true))
                .isEqualTo(new VxlanInfo(1, null, 0, 8472, true, true));
    }

    @Test
    void interfaceNamesAreCheckedLikeTheKernelDoes() {
        NewLink.checkName("flannel.1");
        NewLink.checkName("123456789012345");
        assertThatThrownBy(() -> NewLink.checkName("1234567890123456")).hasMessageContaining("longer than 15");
        assertThatThrownBy(() -> NewLink.checkName("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NewLink.checkName("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NewLink.vxlan("vx", null)).hasMessageContaining("VxlanInfo");
    }

    @Test
    void routesKeepTheirFamilyConsistent() throws Exception {
        assertThatThrownBy(() -> Route.ip4(Ip4Net.parse("10.0.0.0/8")).via(InetAddress.getByName("fd00::1")))
                .hasMessageContaining("does not match");
        Route r = Route.ip4(Ip4Net.parse("10.0.0.0/8"));
        assertThat(r.scope()).as("directly connected").isEqualTo(Route.SCOPE_LINK);
        assertThat(r.via(Ip4.parse("10.0.0.1")).scope()).as("gatewayed").isEqualTo(Route.SCOPE_UNIVERSE);
        assertThat(Route.ip4(Ip4Net.parse("0.0.0.0/0")).isDefault()).isTrue();
        assertThat(r.via(Ip4.parse("10.0.0.1")).device(3).withOnlink()).hasToString("10.0.0.0/8 via 10.0.0.1 dev#3 onlink");
    }

    @Test
    void addressesCompareByDeviceAddressAndPrefix() {
        Address wanted = Address.ip4(3, Ip4Net.parseHost("10.1.1.1/24"));
        Address readBack = wanted.withFlags(Address.IFA_F_PERMANENT);
        assertThat(readBack).isNotEqualTo(wanted);
        assertThat(readBack.matches(wanted)).isTrue();
        assertThat(Address.ip4(3, Ip4Net.parseHost("10.1.1.1/16")).matches(wanted)).isFalse();
        assertThatThrownBy(() -> Address.ip4(0, Ip4Net.parseHost("10.1.1.1/24"))).hasMessageContaining("device index");
    }
}
