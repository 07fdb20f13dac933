package io.javaoverlay.core.backend;

/**
 * A value of a peer's lease that the kernel keys its state by, so that two peers may hold it only
 * when they are one machine: vxlan's VTEP MAC (FDB entries are keyed by MAC, so two public IPs
 * behind one MAC would steal each other's entry), udp's public IP (datagrams are matched to a
 * subnet by their source). Two leases with equal {@code key} may both be programmed only when
 * their {@code holder}s are equal; otherwise the one programmed first keeps it.
 *
 * @param reason what a lease that loses the claim is rejected for
 */
public record PeerClaim(PeerRejection.Reason reason, Object key, Object holder) {

    public PeerClaim {
        if (reason == null || key == null || holder == null) {
            throw new IllegalArgumentException("a claim needs a reason, a key and a holder");
        }
    }
}
