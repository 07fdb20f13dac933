package io.javaoverlay.cni;

import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import io.javaoverlay.cni.model.Interface;
import io.javaoverlay.cni.model.IpConfig;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;
import io.javaoverlay.cni.model.Route;
import io.javaoverlay.core.config.SubnetEnv;
import io.javaoverlay.core.firewall.FirewallException;
import io.javaoverlay.core.host.BridgeFirewall;
import io.javaoverlay.core.host.HostAttachment;
import io.javaoverlay.core.ipam.DiskStore;
import io.javaoverlay.core.ipam.Reservations;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;

/**
 * CHECK: the attachment is still as ADD left it. Checks what ADD created and listed in
 * prevResult (the container interface, its MAC, addresses and routes, the host veth on the
 * bridge) and what it did not list (the IPAM reservation, the masquerade rules). Routes other
 * plugins added later are allowed; routes from prevResult must still be there.
 */
final class AttachmentCheck {

    private final HostAttachment datapath;
    private final BridgeFirewall firewall;

    AttachmentCheck(HostAttachment datapath, BridgeFirewall firewall) {
        this.datapath = datapath;
        this.firewall = firewall;
    }

    void verify(CniEnv env, NetConf conf, SubnetEnv subnet, Path netns, Result prev) {
        int podIndex = -1;
        for (int i = 0; i < prev.interfaces().size(); i++) {
            Interface itf = prev.interfaces().get(i);
            if (itf.name().equals(env.ifName()) && itf.sandbox().map(env.netns()::equals).orElse(false)) {
                podIndex = i;
            }
        }
        if (podIndex < 0) {
            throw failed("prevResult lists no interface " + env.ifName() + " in " + env.netns());
        }
        Interface expected = prev.interfaces().get(podIndex);
        HostAttachment.PodState pod = datapath.inspectPod(netns, env.ifName())
                .orElseThrow(() -> failed("interface " + env.ifName() + " is missing from " + env.netns()));
        if (expected.mac().isPresent() && !expected.mac().get().equalsIgnoreCase(pod.link().mac())) {
            throw failed(env.ifName() + " has MAC " + pod.link().mac() + ", prevResult says " + expected.mac().get());
        }
        if (!pod.link().up()) {
            throw failed(env.ifName() + " in " + env.netns() + " is down");
        }
        final int index = podIndex;
        List<IpConfig> ips = prev.ips().stream()
                .filter(ip -> ip.interfaceIndex().isPresent() && ip.interfaceIndex().getAsInt() == index).toList();
        if (ips.isEmpty()) {
            throw failed("prevResult assigns no address to " + env.ifName());
        }
        Reservations reservations = Files.isDirectory(conf.dataDir()) ? new Reservations(DiskStore.open(conf.dataDir())) : null;
        Optional<Ip4> reserved = reservations == null ? Optional.empty()
                : reservations.addressOf(OverlayPlugin.owner(conf, env));
        HostAttachment.Pod6State pod6 = null;
        for (IpConfig ip : ips) {
            if (ip.family().equals("6")) {
                if (pod6 == null) {
                    pod6 = inspect6(env, netns);
                }
                verify6(env, conf, reservations, pod6, ip);
                continue;
            }
            Ip4Net.HostAddress want = Ip4Net.parseHost(ip.address());
            if (!pod.addresses().contains(want)) {
                throw failed(env.ifName() + " lacks address " + want + " (has " + pod.addresses() + ")");
            }
            if (reserved.isEmpty() || !reserved.get().equals(want.ip())) {
                throw failed("the IPAM reservation of " + want.ip() + " for " + OverlayPlugin.owner(conf, env) + " in "
                        + conf.dataDir() + " is gone" + reserved.map(r -> " (it holds " + r + " instead)").orElse(""));
            }
        }
        for (Route r : prev.routes()) {
            if (r.dst().indexOf(':') >= 0) {
                if (pod6 == null) {
                    pod6 = inspect6(env, netns);
                }
                verifyRoute6(env, pod6, r);
                continue;
            }
            Ip4Net dst = Ip4Net.parse(r.dst());
            boolean present = pod.routes().stream().anyMatch(have -> have.dst().equals(dst)
                    && r.gw().map(gw -> Ip4.parse(gw).equals(have.gateway())).orElse(true));
            if (!present) {
                throw failed("route to " + r.dst() + r.gw().map(g -> " via " + g).orElse("") + " is missing in " + env.netns());
            }
        }
        checkHostSide(conf, prev, podIndex);
        if (subnet.hasIpv4() && conf.ipMasq().orElse(!subnet.ipMasq()) && !isMasqueraded(conf, subnet)) {
            throw failed("the masquerade rules for " + subnet.lease() + " are missing (ipMasq is on)");
        }
        boolean hasIpv6 = prev.ips().stream().anyMatch(ip -> ip.address().indexOf(':') >= 0);
        if (hasIpv6 && subnet.ipv6Lease().isPresent() && conf.ipMasq().orElse(!subnet.ipMasq()) && !isMasqueraded6(conf, subnet)) {
            throw failed("the IPv6 masquerade rules (ip6tables) for " + subnet.ipv6Lease().get() + " are missing (ipMasq is on)");
        }
    }

    private HostAttachment.Pod6State inspect6(CniEnv env, Path netns) {
        return datapath.inspectPod6(netns, env.ifName())
                .orElseThrow(() -> failed("interface " + env.ifName() + " is missing from " + env.netns()));
    }

    /** An IPv6 address of the result: on the interface and still reserved for this attachment. */
    private static void verify6(CniEnv env, NetConf conf, Reservations reservations, HostAttachment.Pod6State pod6, IpConfig ip) {
        Ip6Host want;
        try {
            want = Ip6Host.parse(ip.address());
        } catch (IllegalArgumentException e) {
            throw failed("prevResult has an address that is not IPv6: " + ip.address());
        }
        if (!pod6.addresses().contains(want)) {
            throw failed(env.ifName() + " lacks address " + want + " (has " + pod6.addresses() + ")");
        }
        Optional<BigInteger> reserved = reservations == null ? Optional.empty()
                : reservations.addressOf6(OverlayPlugin.owner(conf, env));
        if (reserved.isEmpty() || !reserved.get().equals(want.ip())) {
            throw failed("the IPAM reservation of " + want.ipText() + " for " + OverlayPlugin.owner(conf, env) + " in "
                    + conf.dataDir() + " is gone" + reserved.map(r -> " (it holds " + Ip6Net.format(r) + " instead)").orElse(""));
        }
    }

    private static void verifyRoute6(CniEnv env, HostAttachment.Pod6State pod6, Route r) {
        Ip6Net dst;
        BigInteger gw;
        try {
            dst = Ip6Net.parse(r.dst());
            gw = r.gw().isPresent() ? Ip6Net.parseAddress(r.gw().get()) : null;
        } catch (IllegalArgumentException e) {
            throw failed("prevResult has a route that is not IPv6: " + r.dst() + r.gw().map(g -> " via " + g).orElse(""));
        }
        boolean present = pod6.routes().stream().anyMatch(have -> have.dst().equals(dst) && (gw == null || gw.equals(have.gateway())));
        if (!present) {
            throw failed("route to " + r.dst() + r.gw().map(g -> " via " + g).orElse("") + " is missing in " + env.netns());
        }
    }

    private boolean isMasqueraded(NetConf conf, SubnetEnv subnet) {
        try {
            return firewall.isMasqueraded(conf.name(), subnet.network(), subnet.lease());
        } catch (FirewallException | UncheckedIOException e) {
            throw HostErrors.firewall("cannot read the masquerade rules for " + conf.name(), e);
        }
    }

    private boolean isMasqueraded6(NetConf conf, SubnetEnv subnet) {
        try {
            return firewall.isMasqueraded6(conf.name(), Ip6Net.parse(subnet.ipv6Network().orElseThrow()), subnet.ipv6Lease().orElseThrow());
        } catch (FirewallException | UncheckedIOException e) {
            throw HostErrors.firewall("cannot read the IPv6 masquerade rules for " + conf.name(), e);
        }
    }

    /** The bridge exists and the host end of the veth is still enslaved to it. */
    private void checkHostSide(NetConf conf, Result prev, int podIndex) {
        HostAttachment.LinkState bridge = datapath.hostLink(conf.bridge())
                .orElseThrow(() -> failed("bridge " + conf.bridge() + " is missing"));
        for (int i = 0; i < prev.interfaces().size(); i++) {
            Interface itf = prev.interfaces().get(i);
            if (i == podIndex || itf.sandbox().isPresent() || itf.name().equals(conf.bridge())) {
                continue;
            }
            HostAttachment.LinkState veth = datapath.hostLink(itf.name())
                    .orElseThrow(() -> failed("host veth " + itf.name() + " is missing"));
            if (veth.masterIndex() != bridge.index()) {
                throw failed("host veth " + itf.name() + " is not attached to bridge " + conf.bridge());
            }
        }
    }

    private static CniException failed(String what) {
        return new CniException(ErrorCode.CHECK_FAILED, "the container's network is not as ADD left it", what);
    }
}
