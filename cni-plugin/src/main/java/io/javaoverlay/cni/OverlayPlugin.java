package io.javaoverlay.cni;

import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import io.javaoverlay.cni.model.Attachment;
import io.javaoverlay.cni.model.Interface;
import io.javaoverlay.cni.model.IpConfig;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.model.Route;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.firewall.FirewallException;
import io.javaoverlay.core.host.BridgeFirewall;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.core.host.HostAttachmentException;
import io.javaoverlay.core.ipam.Allocation;
import io.javaoverlay.core.ipam.Allocation6;
import io.javaoverlay.core.ipam.Allocator;
import io.javaoverlay.core.ipam.Allocator6;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.IpamException;
import io.javaoverlay.core.ipam.Owner;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.ipam.Store;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * The javaoverlay CNI plugin: flannel's CNI plugin with its bridge delegate in one step. The
 * container gets a veth into the host bridge, an address from the host subnet the agent leased
 * (subnet.env), a route to the whole overlay and (by default) the default route via the bridge.
 *
 * <p>Dual-stack, when subnet.env has {@code FLANNEL_IPV6_SUBNET} (what flannel's plugin does
 * with bridge and host-local's two ranges): the bridge also carries the IPv6 subnet's first
 * address, the container also gets an IPv6 address from the host's IPv6 subnet, a route to
 * {@code FLANNEL_IPV6_NETWORK} and (by default) the IPv6 default route via the bridge; the
 * result lists the IPv4 address first, then the IPv6 one, each with its gateway.
 *
 * <p>IPv6-only, when subnet.env has the IPv6 pair alone (flanneld's file for
 * {@code "EnableIPv4": false}): the bridge carries only the IPv6 subnet's first address, the
 * container gets only an IPv6 address, the routes to {@code FLANNEL_IPV6_NETWORK} and
 * {@code ::/0}, and the result lists that one address; {@code ipMasq} writes only the ip6tables
 * rules. Nothing of IPv4 is touched (not even its forwarding sysctl).
 */
public final class OverlayPlugin implements CniPlugin {

    static final Ip4Net DEFAULT_ROUTE = Ip4Net.parse("0.0.0.0/0");
    static final Ip6Net DEFAULT_ROUTE6 = Ip6Net.parse("::/0");

    private final HostAttachment datapath;
    private final BridgeFirewall firewall;
    private final Caller caller;

    /** {@code firewall}: the host's bridge policy, of which the plugin uses the masquerade ({@code ipMasq}). */
    public OverlayPlugin(HostAttachment datapath, BridgeFirewall firewall) {
        this(datapath, firewall, Caller.PROCESS);
    }

    /** {@code caller}: asked after each wait of ADD (the IPAM lock), so a call nobody awaits any more is undone. */
    public OverlayPlugin(HostAttachment datapath, BridgeFirewall firewall, Caller caller) {
        this.datapath = datapath;
        this.firewall = firewall;
        this.caller = caller;
    }

    static Owner owner(NetConf conf, CniEnv env) {
        return Owner.cni(conf.name(), env.containerId(), env.ifName());
    }

    @Override
    public Result add(CniEnv env, NetConf conf) {
        try {
            return addAttachment(env, conf);
        } catch (HostAttachmentException e) {
            throw HostErrors.cni(e); // what ADD made is rolled back by then
        }
    }

    private Result addAttachment(CniEnv env, NetConf conf) {
        SubnetEnv subnet = HostSubnet.read(conf.subnetFile());
        Path netns = existingNetns(env);
        int mtu = conf.mtu().orElse(subnet.mtu());
        boolean masq = conf.ipMasq().orElse(!subnet.ipMasq());
        RequestedAddress requested = RequestedAddress.of(env, conf);
        if (datapath.podInterfaceExists(netns, env.ifName())) {
            throw new CniException(ErrorCode.INTERFACE_EXISTS, "interface " + env.ifName() + " already exists in the container",
                    env.ifName() + " exists in " + netns + "; a runtime must DEL an attachment before adding it again");
        }
        Optional<Allocator6> allocator6 = HostSubnet.allocator6(subnet, conf.dataDir());
        if (requested.ipv4().isPresent() && !subnet.hasIpv4()) {
            throw new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "an IPv4 address was requested but this host has no IPv4 subnet",
                    "requested " + requested.ipv4().get() + ", but " + conf.subnetFile()
                            + " has no FLANNEL_SUBNET (an IPv6-only network, \"EnableIPv4\": false)");
        }
        if (requested.ipv6().isPresent() && allocator6.isEmpty()) {
            throw new CniException(ErrorCode.ADDRESS_UNAVAILABLE, "an IPv6 address was requested but this host has no IPv6 subnet",
                    "requested " + Ip6Net.format(requested.ipv6().get()) + ", but " + conf.subnetFile()
                            + " has no FLANNEL_IPV6_SUBNET (the agent runs without EnableIPv6)");
        }
        HostAttachment.LinkState bridge = subnet.hasIpv4() ? datapath.ensureBridge(conf.bridge(), subnet.gateway(), mtu)
                : datapath.ensureBridgeWithoutIpv4(conf.bridge(), mtu);
        if (allocator6.isPresent()) {
            // IPv6 forwarding is the agent's (or flanneld's): the agent refuses to run dual-stack without it
            datapath.ensureBridge6(conf.bridge(), allocator6.get().gatewayAddress());
        }
        Allocator allocator = null; // stays null on an IPv6-only host
        if (subnet.hasIpv4()) {
            datapath.enableIpForwarding();
            allocator = HostSubnet.allocator(subnet, conf.dataDir());
        }
        Owner owner = owner(conf, env);
        Allocation allocation = null;
        if (allocator != null) {
            try {
                allocation = allocator.allocate(owner, requested.ipv4());
            } catch (IpamException e) {
                throw HostSubnet.ipam(e);
            }
        }
        Allocation6 allocation6 = null;
        String hostName = null;
        boolean success = false;
        try {
            if (allocator6.isPresent()) {
                try {
                    allocation6 = allocator6.get().allocate(owner, requested.ipv6());
                } catch (IpamException e) {
                    throw HostSubnet.ipam(e);
                }
            }
            // the allocation may have waited for the IPAM lock: a caller that gave up meanwhile gets nothing made
            abandonIfCallerGone(env);
            HostAttachment.VethPair pair = createVeth(conf, netns, env.ifName(), mtu);
            hostName = pair.host().name();
            List<HostAttachment.PodRoute> routes = new ArrayList<>();
            if (allocation != null) {
                routes.add(new HostAttachment.PodRoute(subnet.network(), allocation.gateway()));
                if (conf.isDefaultGateway()) {
                    routes.add(new HostAttachment.PodRoute(DEFAULT_ROUTE, allocation.gateway()));
                }
                datapath.configurePod(netns, env.ifName(), allocation.address(), routes);
            }
            List<HostAttachment.PodRoute6> routes6 = new ArrayList<>();
            if (allocation6 != null) {
                routes6.add(new HostAttachment.PodRoute6(Ip6Net.parse(subnet.ipv6Network().orElseThrow()), allocation6.gateway()));
                if (conf.isDefaultGateway()) {
                    routes6.add(new HostAttachment.PodRoute6(DEFAULT_ROUTE6, allocation6.gateway()));
                }
                datapath.configurePod6(netns, env.ifName(), allocation6.address(), routes6);
            }
            if (masq) {
                // the IPAM lock serialises concurrent ADDs: the chain is checked, then rewritten if needed
                try (Store.Lock lock = DiskStore.open(conf.dataDir()).lock()) {
                    ensureMasquerade(conf, subnet, allocation6 != null);
                } catch (IpamException e) {
                    throw HostSubnet.ipam(e); // rolled back below, like any other failure after the allocation
                }
            }
            abandonIfCallerGone(env);
            Result result = result(conf, env, bridge, pair, allocation, routes, allocation6, routes6);
            success = true;
            return result;
        } finally {
            if (!success) {
                rollback(hostName, owner, conf.dataDir(), allocation, allocation6);
            }
        }
    }

    /**
     * Both families' chains when the pod got an IPv6 address (ip6tables then), the IPv4 one
     * otherwise; on an IPv6-only host only the IPv6 one.
     */
    private void ensureMasquerade(NetConf conf, SubnetEnv subnet, boolean ipv6) {
        if (subnet.hasIpv4()) {
            try {
                firewall.ensureMasquerade(conf.name(), subnet.network(), subnet.lease());
            } catch (FirewallException | UncheckedIOException e) {
                throw HostErrors.firewall("cannot set up the masquerade rules for " + conf.name(), e);
            }
        }
        if (ipv6) {
            try {
                firewall.ensureMasquerade6(conf.name(), Ip6Net.parse(subnet.ipv6Network().orElseThrow()), subnet.ipv6Lease().orElseThrow());
            } catch (FirewallException | UncheckedIOException e) {
                throw HostErrors.firewall("cannot set up the IPv6 masquerade rules (ip6tables) for " + conf.name(), e);
            }
        }
    }

    /**
     * Removes the network's masquerade chains (both families) once no attachment of it holds an
     * address on this host, checked and done under the IPAM lock that ADD ensures them under, so
     * an ADD in between either keeps them or makes them again. The chains are the network's, not
     * a container's (unlike the reference bridge plugin's chain per container): the last DEL or
     * GC takes them away. A failure is logged, never fatal: the containers are gone, a runtime
     * would retry DEL for ever, and the next ADD rewrites the chains anyway.
     */
    private void removeMasqueradeIfUnused(NetConf conf) {
        String client = Owner.cniClient(conf.name());
        try {
            Store store = DiskStore.open(conf.dataDir());
            try (Store.Lock lock = store.lock()) {
                boolean inUse = store.ip4().reservations().values().stream().anyMatch(o -> o.client().equals(client))
                        || store.ip6().reservations().values().stream().anyMatch(o -> o.client().equals(client));
                if (!inUse) {
                    firewall.removeMasquerade(conf.name());
                }
            }
        } catch (FirewallException | UncheckedIOException | IpamException e) {
            PluginLog.warn("cannot remove the masquerade rules of " + conf.name() + " (no attachment of it is left)", e);
        }
    }

    /** Throws (so that ADD rolls back what it made) when nobody waits for the result any more. */
    private void abandonIfCallerGone(CniEnv env) {
        if (caller.hasGone()) {
            throw new CniException(ErrorCode.TRY_AGAIN_LATER, "the caller went away; ADD abandoned and rolled back",
                    "ADD of " + env.containerId() + " " + env.ifName() + " was no longer awaited (the runtime or the launcher"
                            + " was stopped); nothing of it is kept, and the runtime retries");
        }
    }

    /**
     * A random host-side name, as the reference bridge plugin uses; a name already taken is
     * skipped. {@link HostAttachment#createPodVeth} deletes a pair it made but could not wire.
     */
    private HostAttachment.VethPair createVeth(NetConf conf, Path netns, String ifName, int mtu) {
        for (int attempt = 1; ; attempt++) {
            String hostName = "veth" + hex8(ThreadLocalRandom.current().nextInt());
            if (attempt < 3 && datapath.hostLink(hostName).isPresent()) {
                continue;
            }
            return datapath.createPodVeth(conf.bridge(), hostName, netns, ifName, mtu, conf.hairpinMode());
        }
    }

    /** 8 lower-case hex digits; String.format would initialise locale data first. */
    static String hex8(int v) {
        String h = Integer.toHexString(v);
        return "00000000".substring(h.length()) + h;
    }

    /** Undoes a half-done ADD: the veth (its peer goes with it) and the reservations made by this call. */
    private void rollback(String hostName, Owner owner, Path dataDir, Allocation allocation, Allocation6 allocation6) {
        try {
            if (hostName != null) {
                datapath.deleteHostLink(hostName);
            }
        } catch (RuntimeException e) {
            PluginLog.warn("rollback: cannot delete veth " + hostName, e);
        }
        try {
            Reservations reservations = new Reservations(DiskStore.open(dataDir));
            if (allocation != null && !allocation.alreadyHeld()) {
                reservations.releaseAddress(allocation.ip());
            }
            if (allocation6 != null && !allocation6.alreadyHeld()) {
                reservations.releaseAddress6(allocation6.ip());
            }
        } catch (RuntimeException e) {
            PluginLog.warn("rollback: cannot release the addresses of " + owner, e);
        }
    }

    private static Result result(NetConf conf, CniEnv env, HostAttachment.LinkState bridge, HostAttachment.VethPair pair,
                                 Allocation allocation, List<HostAttachment.PodRoute> routes,
                                 Allocation6 allocation6, List<HostAttachment.PodRoute6> routes6) {
        Result prev = conf.prevResult().orElse(Result.EMPTY);
        List<Interface> ifs = new ArrayList<>(prev.interfaces());
        int base = ifs.size();
        ifs.add(Interface.host(bridge.name(), bridge.mac(), bridge.mtu()));
        ifs.add(Interface.host(pair.host().name(), pair.host().mac(), pair.host().mtu()));
        ifs.add(Interface.sandboxed(pair.pod().name(), pair.pod().mac(), pair.pod().mtu(), env.netns()));
        List<IpConfig> ips = new ArrayList<>(prev.ips());
        if (allocation != null) {
            ips.add(new IpConfig(allocation.address().toString(), Optional.of(allocation.gateway().toString()), OptionalInt.of(base + 2)));
        }
        if (allocation6 != null) {
            ips.add(new IpConfig(allocation6.address().toString(), Optional.of(allocation6.gatewayText()), OptionalInt.of(base + 2)));
        }
        List<Route> rs = new ArrayList<>(prev.routes());
        for (HostAttachment.PodRoute r : routes) {
            rs.add(Route.via(r.dst().toString(), r.gateway().toString()));
        }
        for (HostAttachment.PodRoute6 r : routes6) {
            rs.add(Route.via(r.dst().toString(), Ip6Net.format(r.gateway())));
        }
        return new Result(ifs, ips, rs, conf.dns().isEmpty() ? prev.dns() : conf.dns());
    }

    @Override
    public void del(CniEnv env, NetConf conf) {
        RuntimeException failure = null;
        if (!env.netns().isEmpty()) {
            try {
                datapath.deletePodInterface(Path.of(env.netns()), env.ifName());
            } catch (HostAttachmentException e) {
                failure = HostErrors.cni(e); // still release the address below, then report
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (Files.isDirectory(conf.dataDir())) {
            try {
                new Reservations(DiskStore.open(conf.dataDir())).release(owner(conf, env));
            } catch (IpamException e) {
                CniException mapped = HostSubnet.ipam(e);
                if (failure != null) {
                    mapped.addSuppressed(failure);
                }
                throw mapped;
            }
            removeMasqueradeIfUnused(conf);
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public void check(CniEnv env, NetConf conf) {
        Result prev = conf.prevResult().orElseThrow(() -> new CniException(ErrorCode.INVALID_CONFIG,
                "CHECK needs prevResult", "the runtime must pass the result of ADD as prevResult"));
        SubnetEnv subnet = HostSubnet.read(conf.subnetFile());
        Path netns = existingNetns(env);
        try {
            new AttachmentCheck(datapath, firewall).verify(env, conf, subnet, netns, prev);
        } catch (HostAttachmentException e) {
            throw HostErrors.cni(e);
        }
    }

    @Override
    public void status(CniEnv env, NetConf conf) {
        SubnetEnv subnet;
        try {
            subnet = HostSubnet.read(conf.subnetFile());
        } catch (CniException e) {
            boolean hasContainers = Files.isDirectory(conf.dataDir()) && new Reservations(DiskStore.open(conf.dataDir())).all()
                    .values().stream().anyMatch(o -> o.client().equals(Owner.cniClient(conf.name())));
            throw new CniException(hasContainers ? ErrorCode.LIMITED_CONNECTIVITY : ErrorCode.NOT_AVAILABLE, e.msg(),
                    e.details() + (hasContainers ? "; containers attached earlier may have lost their connectivity" : ""), e);
        }
        if (!subnet.hasIpv4()) {
            status6(conf, subnet);
            return;
        }
        Allocator allocator = HostSubnet.allocator(subnet, conf.dataDir());
        long free = subnet.lease().size() - 3 - allocator.reservations().all().keySet().stream().filter(allocator::isAssignable).count();
        if (free <= 0) {
            throw new CniException(ErrorCode.NOT_AVAILABLE, "no free address in this host's subnet",
                    "all addresses of " + subnet.lease() + " are reserved; new containers cannot be added until some are deleted");
        }
    }

    /** STATUS of an IPv6-only host: a free address in its IPv6 subnet (all but the first address and the gateway). */
    private static void status6(NetConf conf, SubnetEnv subnet) {
        Allocator6 allocator6 = HostSubnet.allocator6(subnet, conf.dataDir()).orElseThrow();
        long held = new Reservations(DiskStore.open(conf.dataDir())).all6().keySet().stream().filter(allocator6::isAssignable).count();
        if (Ip6Net.size(allocator6.subnet().prefixLength()).subtract(BigInteger.valueOf(2 + held)).signum() <= 0) {
            throw new CniException(ErrorCode.NOT_AVAILABLE, "no free address in this host's IPv6 subnet",
                    "all addresses of " + allocator6.subnet() + " are reserved; new containers cannot be added until some are deleted");
        }
    }

    @Override
    public void gc(CniEnv env, NetConf conf) {
        List<Attachment> valid = conf.validAttachments().orElseThrow(() -> new CniException(ErrorCode.INVALID_CONFIG,
                "GC needs cni.dev/valid-attachments", "the runtime must list the attachments that are still valid"));
        if (!Files.isDirectory(conf.dataDir())) {
            return;
        }
        Set<Owner> keep = new HashSet<>();
        for (Attachment a : valid) {
            keep.add(Owner.cni(conf.name(), a.containerId(), a.ifName()));
        }
        String client = Owner.cniClient(conf.name());
        try {
            List<String> freed = new Reservations(DiskStore.open(conf.dataDir()))
                    .releaseIf(o -> o.client().equals(client) && !keep.contains(o));
            if (!freed.isEmpty()) {
                PluginLog.info("GC released " + freed + " held by attachments of " + conf.name() + " that are gone");
            }
        } catch (IpamException e) {
            throw HostSubnet.ipam(e);
        }
        removeMasqueradeIfUnused(conf);
    }

    /**
     * CNI_NETNS must name an existing namespace for ADD and CHECK, and not the plugin's own
     * (the container's interface would land on the host, as libcni's skeleton also refuses).
     */
    private static Path existingNetns(CniEnv env) {
        Path netns = Path.of(env.netns());
        if (!Files.exists(netns)) {
            throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "CNI_NETNS does not exist",
                    "CNI_NETNS=" + env.netns() + " is not a file; it must name the container's network namespace"
                            + " (e.g. /var/run/netns/NAME or /proc/PID/ns/net)");
        }
        if (sameFile(netns, OWN_NETNS)) {
            throw new CniException(ErrorCode.INVALID_ENVIRONMENT, "CNI_NETNS is the plugin's own network namespace",
                    "CNI_NETNS=" + env.netns() + " is the namespace the plugin runs in; it must be the container's");
        }
        return netns;
    }

    private static final Path OWN_NETNS = Path.of("/proc/self/ns/net");

    /** Namespace files are the same namespace when device and inode match. */
    private static boolean sameFile(Path a, Path b) {
        try {
            return Files.getAttribute(a, "unix:ino").equals(Files.getAttribute(b, "unix:ino"))
                    && Files.getAttribute(a, "unix:dev").equals(Files.getAttribute(b, "unix:dev"));
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return false; // cannot tell: the kernel will refuse what makes no sense
        }
    }
}
