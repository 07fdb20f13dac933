package io.javaoverlay.cni;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.ipam.Allocator;
import io.javaoverlay.core.ipam.Allocator6;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.IpamException;

/** Reads the agent's subnet.env and maps its failures and IPAM's to CNI errors, once. */
final class HostSubnet {

    private HostSubnet() {}

    /**
     * The agent's subnet.env. Missing is {@link ErrorCode#TRY_AGAIN_LATER}: the agent writes it
     * once it holds a lease, so the runtime's retry will succeed when the agent is up.
     */
    static SubnetEnv read(Path subnetFile) {
        try {
            return SubnetEnv.read(subnetFile);
        } catch (SubnetEnv.MissingException e) {
            throw new CniException(ErrorCode.TRY_AGAIN_LATER, "the javaoverlay agent is not running or not ready on this host",
                    subnetFile + " does not exist: start the agent (javaoverlay agent, or flanneld) and wait until it has"
                            + " written that file, or set \"subnetFile\" in the CNI config to where it writes it", e);
        } catch (SubnetEnv.InvalidException e) {
            throw new CniException(ErrorCode.SUBNET_ENV_INVALID, "invalid subnet.env",
                    e.getMessage() + "; \"subnetFile\" in the CNI config must name the file the agent writes", e);
        } catch (IOException e) {
            throw new CniException(ErrorCode.IO_FAILURE, "cannot read " + subnetFile, e.toString(), e);
        }
    }

    static Allocator allocator(SubnetEnv env, Path dataDir) {
        try {
            return Allocator.forHost(env, DiskStore.open(dataDir));
        } catch (IpamException e) {
            throw ipam(e);
        } catch (IllegalArgumentException e) {
            throw new CniException(ErrorCode.SUBNET_ENV_INVALID, "cannot allocate addresses from this host's subnet", e.getMessage(), e);
        }
    }

    /** The IPv6 allocator when subnet.env has {@code FLANNEL_IPV6_SUBNET} (a dual-stack agent), else empty. */
    static Optional<Allocator6> allocator6(SubnetEnv env, Path dataDir) {
        if (env.ipv6Lease().isEmpty()) {
            return Optional.empty(); // an IPv4-only host opens nothing more
        }
        try {
            return Allocator6.forHost(env, DiskStore.open(dataDir));
        } catch (IpamException e) {
            throw ipam(e);
        } catch (IllegalArgumentException e) {
            throw new CniException(ErrorCode.SUBNET_ENV_INVALID, "cannot allocate IPv6 addresses from this host's IPv6 subnet",
                    e.getMessage(), e);
        }
    }

    static CniException ipam(IpamException e) {
        return switch (e.kind()) {
            case EXHAUSTED -> new CniException(ErrorCode.ADDRESS_EXHAUSTED, "no free address in this host's subnet", e.getMessage(), e);
            case UNAVAILABLE -> new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "the requested address cannot be assigned", e.getMessage(), e);
            case STORE -> new CniException(ErrorCode.IO_FAILURE, "cannot read or write the IPAM state", e.getMessage(), e);
            // the spec's "try again later": the runtime retries, and by then the holder has usually let go
            case BUSY -> new CniException(ErrorCode.TRY_AGAIN_LATER, "the IPAM state is locked by another process", e.getMessage(), e);
        };
    }
}
