package io.javaoverlay.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

class SubnetEnvTest {

    @Test
    void writesFlannelsFormatAndReadsItBack(@TempDir Path dir) throws Exception {
        SubnetEnv env = SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true);
        Path file = dir.resolve("run/flannel/subnet.env");
        env.write(file);
        assertThat(Files.readString(file)).isEqualTo(
                "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.72.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
        assertThat(SubnetEnv.read(file)).isEqualTo(env);
        assertThat(SubnetEnv.read(file).lease()).isEqualTo(Ip4Net.parse("10.5.72.0/24"));
        try (var files = Files.list(file.getParent())) {
            assertThat(files).as("no temp file left behind").containsExactly(file);
        }
    }

    /** flannel's WriteSubnetFile: the IPv6 pair after the IPv4 one, each subnet as its first address. */
    @Test
    void writesTheIpv6PairAsFlannelDoesAndReadsItBack(@TempDir Path dir) throws Exception {
        SubnetEnv env = SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.52.0/24"), Optional.of(Ip6Net.parse("fc00:5::/32")),
                Optional.of(Ip6Net.parse("fc00:5:34::/64")), 1450, true);
        Path file = dir.resolve("subnet.env");
        env.write(file);
        assertThat(Files.readString(file)).isEqualTo("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.52.1/24\n"
                + "FLANNEL_IPV6_NETWORK=fc00:5::/32\nFLANNEL_IPV6_SUBNET=fc00:5:34::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n");
        SubnetEnv back = SubnetEnv.read(file);
        assertThat(back).isEqualTo(env);
        assertThat(back.ipv6Lease()).hasValue(Ip6Net.parse("fc00:5:34::/64"));
        assertThat(SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.52.0/24"), 1450, true).ipv6Lease()).isEmpty();
    }

    /** flannel's WriteSubnetFile with EnableIPv4 false: the IPv6 pair, then MTU and IPMASQ, nothing of IPv4. */
    @Test
    void anIpv6OnlyFileAsFlanneldWritesItParsesWithoutAnIpv4Part(@TempDir Path dir) throws Exception {
        String v6only = "FLANNEL_IPV6_NETWORK=fc00:5::/48\nFLANNEL_IPV6_SUBNET=fc00:5:0:34::1/64\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n";
        SubnetEnv env = SubnetEnv.parse(v6only, "f");
        assertThat(env.hasIpv4()).isFalse();
        assertThat(env.ipv4Lease()).isEmpty();
        assertThat(env.ipv6Network()).hasValue("fc00:5::/48");
        assertThat(env.ipv6Lease()).hasValue(Ip6Net.parse("fc00:5:0:34::/64"));
        assertThat(env.mtu()).isEqualTo(1450);
        assertThat(env.ipMasq()).isFalse();
        assertThat(env).isEqualTo(SubnetEnv.ipv6Only(Ip6Net.parse("fc00:5::/48"), Ip6Net.parse("fc00:5:0:34::/64"), 1450, false));
        // the IPv4 part asked of it: a clear error, never a null
        assertThatThrownBy(env::network).isInstanceOf(SubnetEnv.NoIpv4Exception.class).hasMessageContaining("IPv6 subnet only");
        assertThatThrownBy(env::gateway).isInstanceOf(SubnetEnv.NoIpv4Exception.class);
        assertThatThrownBy(env::lease).isInstanceOf(SubnetEnv.NoIpv4Exception.class).hasMessageContaining("EnableIPv4");
        // written back byte for byte as flanneld writes it
        assertThat(env.format()).isEqualTo(v6only);
        Path file = dir.resolve("subnet.env");
        env.write(file);
        assertThat(SubnetEnv.read(file)).isEqualTo(env);
        assertThat(SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.52.0/24"), 1450, true).ipv4Lease())
                .hasValue(Ip4Net.parse("10.5.52.0/24"));
    }

    @Test
    void anIpv6OnlyFileStaysStrict() {
        String mtu = "FLANNEL_MTU=1450\n";
        // half of either pair
        assertThatThrownBy(() -> SubnetEnv.parse("FLANNEL_IPV6_SUBNET=fc00:5:0:34::1/64\n" + mtu, "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("FLANNEL_NETWORK is missing");
        assertThatThrownBy(() -> SubnetEnv.parse("FLANNEL_SUBNET=10.5.52.1/24\nFLANNEL_IPV6_NETWORK=fc00:5::/48\n"
                + "FLANNEL_IPV6_SUBNET=fc00:5:0:34::1/64\n" + mtu, "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("FLANNEL_NETWORK is missing");
        // neither family
        assertThatThrownBy(() -> SubnetEnv.parse(mtu, "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("FLANNEL_NETWORK is missing");
        // malformed values in an IPv6-only file
        String v6 = "FLANNEL_IPV6_NETWORK=fc00:5::/48\nFLANNEL_IPV6_SUBNET=";
        assertThatThrownBy(() -> SubnetEnv.parse(v6 + "fc00:6::1/64\n" + mtu, "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("is not inside FLANNEL_IPV6_NETWORK");
        assertThatThrownBy(() -> SubnetEnv.parse(v6 + "fc00:5:0:34::1\n" + mtu, "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("no prefix length");
        assertThatThrownBy(() -> SubnetEnv.parse(v6 + "nonsense/64\n" + mtu, "f")).isInstanceOf(SubnetEnv.InvalidException.class);
        assertThatThrownBy(() -> SubnetEnv.parse(v6 + "fc00:5:0:34::1/64\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("FLANNEL_MTU is missing");
        assertThatThrownBy(() -> SubnetEnv.parse(v6 + "fc00:5:0:34::1/64\nFLANNEL_MTU=9\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("68-65535");
        assertThatThrownBy(() -> SubnetEnv.parse(v6 + "fc00:5:0:34::1/64\n" + mtu + "FLANNEL_IPMASQ=yes\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("FLANNEL_IPMASQ");
    }

    @Test
    void aBrokenIpv6PairIsRefused() {
        String v4 = "FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.52.1/24\nFLANNEL_MTU=1450\n";
        assertThatThrownBy(() -> SubnetEnv.parse(v4 + "FLANNEL_IPV6_NETWORK=fc00:5::/48\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("one of them is missing");
        assertThatThrownBy(() -> SubnetEnv.parse(v4 + "FLANNEL_IPV6_NETWORK=fc00:5::/48\nFLANNEL_IPV6_SUBNET=fc00:6::1/64\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("is not inside FLANNEL_IPV6_NETWORK");
        assertThatThrownBy(() -> SubnetEnv.parse(v4 + "FLANNEL_IPV6_NETWORK=fc00:5::/48\nFLANNEL_IPV6_SUBNET=fc00:5:34::1\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("no prefix length");
        assertThatThrownBy(() -> SubnetEnv.parse(v4 + "FLANNEL_IPV6_NETWORK=nonsense\nFLANNEL_IPV6_SUBNET=fc00:5:34::1/64\n", "f"))
                .isInstanceOf(SubnetEnv.InvalidException.class);
    }

    @Test
    void isWrittenReadableByEveryoneInDirectoriesEveryoneCanTraverseAsFlannelWritesIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("run/flannel/subnet.env");
        SubnetEnv.of(Ip4Net.parse("10.5.0.0/16"), Ip4Net.parse("10.5.72.0/24"), 1450, true).write(file);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-r--r--");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())))
                .isEqualTo("rwxr-xr-x");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("run"))))
                .isEqualTo("rwxr-xr-x");
    }

    @Test
    void missingFileSaysTheAgentIsNotRunning(@TempDir Path dir) {
        assertThatThrownBy(() -> SubnetEnv.read(dir.resolve("subnet.env")))
                .isInstanceOf(SubnetEnv.MissingException.class)
                .hasMessageContaining("agent running");
    }

    @Test
    void rejectsBrokenFiles() {
        assertThatThrownBy(() -> SubnetEnv.parse("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_MTU=1450\n", "x"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("FLANNEL_SUBNET is missing");
        assertThatThrownBy(() -> SubnetEnv.parse("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.6.1.1/24\nFLANNEL_MTU=1450\n", "x"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("not inside");
        assertThatThrownBy(() -> SubnetEnv.parse("garbage\n", "x"))
                .isInstanceOf(SubnetEnv.InvalidException.class).hasMessageContaining("NAME=value");
        assertThatThrownBy(() -> SubnetEnv.parse("FLANNEL_NETWORK=10.5.0.0/16\nFLANNEL_SUBNET=10.5.1.1/24\nFLANNEL_MTU=abc\n", "x"))
                .isInstanceOf(SubnetEnv.InvalidException.class);
    }

    @Test
    void readsQuotedValuesAndIpv6Keys() {
        SubnetEnv env = SubnetEnv.parse("""
                FLANNEL_NETWORK="10.5.0.0/16"
                FLANNEL_SUBNET=10.5.3.1/24
                FLANNEL_IPV6_NETWORK=fd00::/56
                FLANNEL_IPV6_SUBNET=fd00:0:0:3::1/64
                FLANNEL_MTU=1400
                FLANNEL_IPMASQ=false
                """, "x");
        assertThat(env.ipv6Network()).contains("fd00::/56");
        assertThat(env.format()).contains("FLANNEL_IPV6_SUBNET=fd00:0:0:3::1/64\nFLANNEL_MTU=1400");
    }
}
