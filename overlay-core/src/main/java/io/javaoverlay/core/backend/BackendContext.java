package io.javaoverlay.core.backend;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.core.lease.Lease;
import io.javaoverlay.core.metrics.OverlayMetrics;

/**
 * What a backend is built with.
 *
 * @param dataDir        a directory for the host's backend state that must survive restarts
 *                       (e.g. the VTEP MAC: {@link VtepMacStore}); {@code --data-dir}
 * @param leasesAtStart  every lease in the store when the agent started (this host's previous
 *                       one among them, found by its public IP): what the vxlan backend chooses
 *                       its VTEP MAC by
 * @param publicIpv6     with {@code EnableIPv6}, this host's {@code PublicIPv6} ({@code --public-ipv6},
 *                       else the external interface's IPv6 address): the address the IPv6 half of
 *                       the data path uses (vxlan's {@code flannel-v6.<VNI>} sends from it, as
 *                       flannel's from {@code ExtV6Addr}); empty otherwise
 * @param metrics        where the backend reports ({@link OverlayMetrics#registerBackend}): the agent's
 */
public record BackendContext(ExternalInterface external, Path dataDir, List<Lease> leasesAtStart, Optional<String> publicIpv6,
                             OverlayMetrics metrics) {
    public BackendContext {
        if (external == null || dataDir == null || metrics == null) {
            throw new IllegalArgumentException("external interface, data dir and metrics are required");
        }
        leasesAtStart = leasesAtStart == null ? List.of() : List.copyOf(leasesAtStart);
        publicIpv6 = publicIpv6 == null ? Optional.empty() : publicIpv6;
    }

    /** Without IPv6. */
    public BackendContext(ExternalInterface external, Path dataDir, List<Lease> leasesAtStart, OverlayMetrics metrics) {
        this(external, dataDir, leasesAtStart, Optional.empty(), metrics);
    }

    /** A context with no leases known at start. */
    public BackendContext(ExternalInterface external, Path dataDir, OverlayMetrics metrics) {
        this(external, dataDir, List.of(), metrics);
    }
}
