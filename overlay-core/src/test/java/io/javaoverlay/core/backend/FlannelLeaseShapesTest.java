package io.javaoverlay.core.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.javaoverlay.core.config.BackendConfig;
import io.javaoverlay.core.config.NetworkConfig;
import io.javaoverlay.core.config.NetworkConfigException;
import io.javaoverlay.core.metrics.OverlayMetrics;
import io.javaoverlay.core.net.Ip4;

class FlannelLeaseShapesTest {

    static final ExternalInterface ETH = new ExternalInterface("eth0", 2, 1500, Ip4.parse("192.0.2.10"), Ip4.parse("192.0.2.10"));

    @TempDir
    Path dir;

    Registration register(String config, ExternalInterface ext) {
        NetworkConfig c = NetworkConfig.parse(config);
        try (Backend b = BackendRegistry.controlPlaneOnly().create(c.backendType(), new BackendContext(ext, dir, new OverlayMetrics()))) {
            return b.register(c);
        }
    }

    /**
     * flannel's {@code newSubnetAttrs} with both devices: {@code PublicIPv6} and {@code BackendV6Data}
     * with the IPv6 device's own MAC, the fields in the Go struct's order.
     */
    @Test
    void dualStackVxlanPublishesBackendV6DataWithTheIpv6DevicesOwnMacAsFlannelDoes() throws IOException {
        Registration r = register("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"vxlan\"}}", ETH);
        String mac = Files.readString(dir.resolve("vxlan-1.mac")).strip();
        String mac6 = Files.readString(dir.resolve("vxlan-v6-1.mac")).strip();
        assertThat(mac6).isNotEqualTo(mac);
        assertThat(r.attrs(Ip4.parse("192.0.2.10"), java.util.Optional.of("fd00:0:0::a")).toJson()).isEqualTo(
                "{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":\"fd00::a\",\"BackendType\":\"vxlan\","
                + "\"BackendData\":{\"VNI\":1,\"VtepMAC\":\"" + mac + "\"},\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"" + mac6 + "\"}}");
        assertThat(r.attrs(Ip4.parse("192.0.2.10"), java.util.Optional.empty()).toJson()).doesNotContain("BackendV6Data");
        assertThat(r.mtu()).as("FLANNEL_MTU stays the IPv4 device's, as in flannel").isEqualTo(1450);
    }

    @Test
    void theIpv6DevicesMtuIsFlannelsRequestAsTheKernelCapsIt() {
        BackendConfig plain = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\"}}").backend();
        BackendConfig small = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"MTU\":1400}}").backend();
        assertThat(FlannelLeaseShapes.vxlan6DeviceMtu(plain, ETH)).as("1500 - 70").isEqualTo(1430);
        assertThat(FlannelLeaseShapes.vxlan6DeviceMtu(small, ETH)).as("Backend.MTU 1400 - 50").isEqualTo(1350);
    }

    @Test
    void vxlanPublishesVniAndAPersistentVtepMac() throws IOException {
        Registration r = register("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":7}}", ETH);
        String mac = Files.readString(dir.resolve("vxlan-7.mac")).strip();
        assertThat(r.attrs(Ip4.parse("192.0.2.10")).toJson()).isEqualTo("{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null,"
                + "\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":7,\"VtepMAC\":\"" + mac + "\"}}");
        assertThat(r.mtu()).isEqualTo(1450);
        assertThat(Integer.parseInt(mac.substring(0, 2), 16) & 0x03).as("unicast, locally administered").isEqualTo(0x02);

        Registration again = register("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"vxlan\",\"VNI\":7,\"MTU\":1400}}", ETH);
        assertThat(again.backendData().orElseThrow().get("VtepMAC").textValue()).isEqualTo(mac);
        assertThat(again.mtu()).isEqualTo(1350);
    }

    @Test
    void udpAndHostGwPublishWhatFlannelDoes() {
        Registration udp = register("{\"Network\":\"10.5.0.0/16\"}", ETH);
        assertThat(udp.attrs(ETH.publicIp()).toJson()).isEqualTo("{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null}");
        assertThat(udp.mtu()).isEqualTo(1472);

        Registration hostGw = register("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}", ETH);
        assertThat(hostGw.attrs(ETH.publicIp()).toJson()).isEqualTo("{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null,\"BackendType\":\"host-gw\"}");
        assertThat(hostGw.mtu()).isEqualTo(1500);
    }

    @Test
    void hostGwRefusesAPublicIpThatIsNotTheInterfaces() {
        ExternalInterface natted = new ExternalInterface("eth0", 2, 1500, Ip4.parse("10.0.0.5"), Ip4.parse("203.0.113.5"));
        assertThatThrownBy(() -> register("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"host-gw\"}}", natted))
                .isInstanceOf(BackendException.class).hasMessageContaining("use vxlan, or drop --public-ip");
    }

    /** --no-data-path in an IPv6-only network publishes what the data-path backends publish there: no BackendData, no PublicIP. */
    @Test
    void theControlPlaneOnlyBackendPublishesIpv6OnlyLeasesAsTheDataPathOnesDo() {
        ExternalInterface v6only = ExternalInterface.ipv6Only("eth0", 2, 1500, java.util.Optional.of("fd00::5"));
        BackendContext ctx = new BackendContext(v6only, dir, new OverlayMetrics());
        String v6 = "\"EnableIPv4\":false,\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\"";
        Registration hostGw = BackendRegistry.controlPlaneOnly().create("host-gw", ctx)
                .register(NetworkConfig.parse("{" + v6 + ",\"Backend\":{\"Type\":\"host-gw\"}}"));
        assertThat(hostGw.ipv6OnlyAttrs("fd00::5").toJson())
                .isEqualTo("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00::5\",\"BackendType\":\"host-gw\"}");
        assertThat(hostGw.mtu()).isEqualTo(1500);
        Registration vxlan = BackendRegistry.controlPlaneOnly().create("vxlan", ctx)
                .register(NetworkConfig.parse("{" + v6 + ",\"Backend\":{\"Type\":\"vxlan\"}}"));
        assertThat(vxlan.backendData()).isEmpty();
        assertThat(vxlan.ipv6OnlyAttrs("fd00::5").toJson()).startsWith("{\"PublicIP\":\"0.0.0.0\",\"PublicIPv6\":\"fd00::5\","
                + "\"BackendType\":\"vxlan\",\"BackendV6Data\":{\"VNI\":1,\"VtepMAC\":\"");
        assertThat(vxlan.mtu()).isEqualTo(1450);
    }

    @Test
    void theRegistryRejectsFlannelOnlyAndUnknownTypesByName() {
        BackendContext ctx = new BackendContext(ETH, dir, new OverlayMetrics());
        assertThatThrownBy(() -> BackendRegistry.controlPlaneOnly().create("ipsec", ctx)).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("flannel backend that javaoverlay does not support");
        assertThatThrownBy(() -> BackendRegistry.controlPlaneOnly().create("nope", ctx)).hasMessageContaining("unknown Backend.Type");
        assertThat(BackendRegistry.controlPlaneOnly().create("VXLAN", ctx)).isInstanceOf(PeerLogBackend.class);
    }

    /** flannel v0.28's newSubnetAttrs: json.Marshal of {PublicKey, Port}, in that order; MTU minus 80. */
    @Test
    void wireguardPublishesItsPublicKeyAndListenPortAsFlannelMarshalsThem() {
        io.javaoverlay.core.net.WireguardKey key = io.javaoverlay.core.net.WireguardKey.parse("hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=");
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\"}}");
        Registration r = FlannelLeaseShapes.wireguard(c.backend().wireguard(), ETH, key);
        assertThat(r.attrs(Ip4.parse("192.0.2.10")).toJson()).isEqualTo("{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":null,"
                + "\"BackendType\":\"wireguard\",\"BackendData\":{\"PublicKey\":\"hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=\",\"Port\":51820}}");
        assertThat(r.mtu()).isEqualTo(1420);

        NetworkConfig own = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"Backend\":{\"Type\":\"wireguard\",\"MTU\":9000,\"ListenPort\":443}}");
        Registration r2 = FlannelLeaseShapes.wireguard(own.backend().wireguard(), ETH, key);
        assertThat(r2.mtu()).as("Backend.MTU minus 80, as flannel").isEqualTo(8920);
        assertThat(r2.backendData().orElseThrow().toString()).endsWith("\"Port\":443}");
    }

    /**
     * flannel v0.28's {@code newSubnetAttrs} for wireguard with EnableIPv6 (Mode separate): one key
     * file, so the same key in both halves; BackendData's Port is ListenPort, BackendV6Data's is
     * ListenPortV6; the fields in the Go structs' order.
     */
    @Test
    void dualStackWireguardPublishesTheSameKeyWithListenPortV6InBackendV6DataAsFlannelDoes() {
        io.javaoverlay.core.net.WireguardKey key = io.javaoverlay.core.net.WireguardKey.parse("hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=");
        NetworkConfig c = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"wireguard\"}}");
        Registration r = FlannelLeaseShapes.wireguard(c.backend().wireguard(), ETH, key)
                .withV6Data(FlannelLeaseShapes.wireguardV6Data(c.backend().wireguard(), key));
        assertThat(r.attrs(Ip4.parse("192.0.2.10"), java.util.Optional.of("fd00:0:0::a")).toJson()).isEqualTo(
                "{\"PublicIP\":\"192.0.2.10\",\"PublicIPv6\":\"fd00::a\",\"BackendType\":\"wireguard\","
                + "\"BackendData\":{\"PublicKey\":\"hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=\",\"Port\":51820},"
                + "\"BackendV6Data\":{\"PublicKey\":\"hB+gK8eWuUOhkPm3vxkVCDD1E7yKz1VkuxeL+3mW6g8=\",\"Port\":51821}}");
        assertThat(r.mtu()).as("one MTU for both devices, as flannel: the external MTU minus 80").isEqualTo(1420);

        NetworkConfig ports = NetworkConfig.parse("{\"Network\":\"10.5.0.0/16\",\"EnableIPv6\":true,\"IPv6Network\":\"fc00:5::/48\","
                + "\"Backend\":{\"Type\":\"wireguard\",\"ListenPort\":443,\"ListenPortV6\":8443}}");
        assertThat(FlannelLeaseShapes.wireguardV6Data(ports.backend().wireguard(), key).toString()).endsWith("\"Port\":8443}");
    }
}
