package io.javaoverlay.core.agent;

import io.javaoverlay.core.backend.BackendRegistry;
import io.javaoverlay.core.backend.WireguardKeyStore;
import io.javaoverlay.core.backend.hostgw.HostGwBackend;
import io.javaoverlay.core.backend.udp.UdpBackend;
import io.javaoverlay.core.backend.vxlan.VxlanBackend;
import io.javaoverlay.core.backend.wireguard.WireguardBackend;
import io.javaoverlay.core.config.BackendType;
import io.javaoverlay.core.firewall.Executables;

/** The backends the agent runs: each {@code Backend.Type} mapped to its data path. */
public final class DataPathBackends {

    private DataPathBackends() {}

    /**
     * vxlan, udp, host-gw and wireguard, each programming the kernel (or, for udp and wireguard-go,
     * forwarding in user space). wireguard reads flannel's {@code WIREGUARD_KEY_FILE} from the
     * process environment here, the one place it is read.
     */
    public static BackendRegistry registry() {
        return BackendRegistry.controlPlaneOnly()
                .with(BackendType.VXLAN, VxlanBackend::new)
                .with(BackendType.UDP, UdpBackend::new)
                .with(BackendType.HOST_GW, HostGwBackend::new)
                .with(BackendType.WIREGUARD, (type, context) -> new WireguardBackend(type, context,
                        WireguardKeyStore.fromEnvironment(System.getenv()), Executables::onPath));
    }
}
