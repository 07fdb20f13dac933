package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.core.net.Ip4;

class RequestedAddressTest {

    private static NetConf conf(List<String> ips) {
        return new NetConf(CniVersion.V1_0_0, "n", "javaoverlay", Path.of("/x"), Path.of("/y"), "cni0", OptionalInt.empty(),
                Optional.empty(), true, true, Dns.EMPTY, Optional.empty(), ips, Optional.empty());
    }

    private static CniEnv env(Map<String, String> args) {
        return new CniEnv(CniCommand.ADD, "c", "/ns", "eth0", args, "");
    }

    @Test
    void readsCniArgsAndRuntimeConfigWithOrWithoutPrefix() {
        assertThat(RequestedAddress.of(env(Map.of()), conf(List.of())).ipv4()).isEmpty();
        assertThat(RequestedAddress.of(env(Map.of("IP", "10.5.72.9")), conf(List.of())).ipv4()).contains(Ip4.parse("10.5.72.9"));
        assertThat(RequestedAddress.of(env(Map.of()), conf(List.of("10.5.72.9/24"))).ipv4()).contains(Ip4.parse("10.5.72.9"));
        assertThat(RequestedAddress.of(env(Map.of("IP", "10.5.72.9")), conf(List.of("10.5.72.9/24"))).ipv4()).contains(Ip4.parse("10.5.72.9"));
    }

    @Test
    void oneAddressOfEachFamilyMayBeAskedFor() {
        RequestedAddress both = RequestedAddress.of(env(Map.of("IP", "10.5.72.9,fc00:5:0:34::9")), conf(List.of("fc00:5:0:34:0::9/64")));
        assertThat(both.ipv4()).contains(Ip4.parse("10.5.72.9"));
        assertThat(both.ipv6()).contains(io.javaoverlay.core.net.Ip6Net.parseAddress("fc00:5:0:34::9"));
        assertThatThrownBy(() -> RequestedAddress.of(env(Map.of()), conf(List.of("fd00::5/64", "fd00::6"))))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_UNAVAILABLE));
        assertThatThrownBy(() -> RequestedAddress.of(env(Map.of()), conf(List.of("fd00::zz"))))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG));
    }

    @Test
    void refusesSeveralAddressesAndGarbage() {
        assertThatThrownBy(() -> RequestedAddress.of(env(Map.of("IP", "10.5.72.9,10.5.72.10")), conf(List.of())))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ADDRESS_UNAVAILABLE));
        assertThatThrownBy(() -> RequestedAddress.of(env(Map.of("IP", "ten")), conf(List.of())))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG));
    }

    @Test
    void cniArgsAreSemicolonSeparatedPairs() {
        assertThat(CniEnv.parseArgs("IgnoreUnknown=1;K8S_POD_NAME=web-0;IP=10.5.72.9"))
                .containsEntry("IgnoreUnknown", "1").containsEntry("K8S_POD_NAME", "web-0").containsEntry("IP", "10.5.72.9");
        assertThat(CniEnv.parseArgs("")).isEmpty();
        assertThatThrownBy(() -> CniEnv.parseArgs("novalue"))
                .isInstanceOfSatisfying(CniException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENVIRONMENT));
    }
}
