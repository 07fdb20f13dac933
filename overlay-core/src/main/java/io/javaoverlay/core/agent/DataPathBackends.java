package io.javaoverlay.core.agent;

import io.javaoverlay.core.backend.BackendRegistry;
import io.javaoverlay.core.backend.hostgw.HostGwBackend;
import io.javaoverlay.core.backend.udp.UdpBackend;
import io.javaoverlay.core.backend.vxlan.VxlanBackend;
import io.javaoverlay.core.config.BackendType;

/** The backends the agent runs: each {@code Backend.Type} mapped to its data path. */
public final class DataPathBackends {

    private DataPathBackends() {}

    /** vxlan, udp and host-gw, each programming the kernel (or, for udp, forwarding in user space). */
    public static BackendRegistry registry() {
        return BackendRegistry.controlPlaneOnly()
                .with(BackendType.VXLAN, VxlanBackend::new)
                .with(BackendType.UDP, UdpBackend::new)
                .with(BackendType.HOST_GW, HostGwBackend::new);
    }
}
