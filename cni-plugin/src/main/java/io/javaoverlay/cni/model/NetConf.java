package io.javaoverlay.cni.model;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.cni.CniVersion;

/**
 * The plugin configuration a runtime passes on stdin, decoded and validated.
 *
 * @param subnetFile       the agent's subnet.env ({@code subnetFile}, default {@code /run/flannel/subnet.env})
 * @param dataDir          IPAM state ({@code dataDir}, default {@code /var/lib/javaoverlay/ipam}),
 *                         shared with the Docker plugin
 * @param bridge           host bridge ({@code bridge}, default {@code cni0} as flannel's)
 * @param mtu              {@code mtu}; empty = {@code FLANNEL_MTU}
 * @param ipMasq           {@code ipMasq}; empty = the opposite of {@code FLANNEL_IPMASQ}
 * @param hairpinMode      {@code hairpinMode}, default true (flannel's shipped config)
 * @param isDefaultGateway {@code isDefaultGateway}, default true (flannel's shipped config)
 * @param prevResult       the result of the previous plugin (ADD in a chain) or of ADD (CHECK, DEL)
 * @param requestedIps     addresses asked for through {@code runtimeConfig.ips} or {@code args.cni.ips}
 * @param validAttachments GC's {@code cni.dev/valid-attachments}; empty unless GC
 */
public record NetConf(CniVersion cniVersion, String name, String type, Path subnetFile, Path dataDir, String bridge,
                      OptionalInt mtu, Optional<Boolean> ipMasq, boolean hairpinMode, boolean isDefaultGateway,
                      Dns dns, Optional<Result> prevResult, List<String> requestedIps,
                      Optional<List<Attachment>> validAttachments) {

    public static final Path DEFAULT_SUBNET_FILE = SubnetEnv.DEFAULT_PATH;
    public static final Path DEFAULT_DATA_DIR = Path.of(HostDefaults.IPAM_DIR);
    public static final String DEFAULT_BRIDGE = HostDefaults.BRIDGE;

    public NetConf {
        requestedIps = List.copyOf(requestedIps);
        validAttachments = validAttachments.map(List::copyOf);
    }
}
