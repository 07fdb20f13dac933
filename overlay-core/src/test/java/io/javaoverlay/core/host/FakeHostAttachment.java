package io.javaoverlay.core.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.host.HostAttachmentException.Kind;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.MacAddress;

/**
 * A host in memory for both faces' logic apart from the kernel: the host namespace's links by
 * name, each pod namespace's interfaces, and what was asked of the kernel. Test sources only
 * (the overlay-core test jar), one fake for the one {@link HostAttachment}.
 */
public final class FakeHostAttachment implements HostAttachment {

    /**
     * A link of the host namespace. {@code peer}: the other end of a veth, a host link's name, or
     * {@code <netns>|<ifName>} for a pod's end.
     */
    public record FakeLink(String name, String kind, String master, MacAddress mac, int mtu,
                           List<Ip4Net.HostAddress> addresses, String peer, int index) {

        /** A link put there by a test (something another program made). */
        public FakeLink(String name, String kind, String master, MacAddress mac, int mtu,
                        List<Ip4Net.HostAddress> addresses, String peer) {
            this(name, kind, master, mac, mtu, addresses, peer, 1000 + Math.floorMod(name.hashCode(), 1000));
        }
    }

    /** The host namespace's links. */
    public final Map<String, FakeLink> links = new LinkedHashMap<>();
    /** Each pod namespace's interfaces. */
    public final Map<Path, Map<String, PodState>> pods = new HashMap<>();
    /** Host ends with hairpin mode set. */
    public final List<String> hairpin = new ArrayList<>();
    public boolean forwarding;
    /** Each host bridge's IPv6 gateway address. */
    public final Map<String, Ip6Host> bridge6 = new HashMap<>();
    /** Each pod interface's IPv6 side, keyed {@code <netns>|<ifName>}. */
    public final Map<String, Pod6State> pods6 = new HashMap<>();
    /** Set to make configurePod and configurePod6 fail, as a kernel refusal would. */
    public boolean failConfigure;
    private int nextIndex = 2;

    private static MacAddress mac(int index) {
        return MacAddress.parse(String.format("0a:58:00:00:00:%02x", index));
    }

    /** The IPv4 addresses of a host link; empty when it does not exist. */
    public synchronized List<Ip4Net.HostAddress> addresses(String link) {
        FakeLink l = links.get(link);
        return l == null ? List.of() : List.copyOf(l.addresses());
    }

    @Override
    public synchronized LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu) {
        FakeLink br = links.get(name);
        if (br != null && !br.kind().equals("bridge")) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot set up bridge " + name, name + " exists and is not a bridge", null);
        }
        int index = br == null ? nextIndex++ : br.index();
        MacAddress mac = br == null ? mac(index) : br.mac();
        br = new FakeLink(name, "bridge", null, mac, mtu, new ArrayList<>(List.of(gateway)), null, index);
        links.put(name, br);
        return state(br);
    }

    @Override
    public synchronized LinkState ensureBridgeWithoutIpv4(String name, int mtu) {
        FakeLink br = links.get(name);
        if (br != null && !br.kind().equals("bridge")) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot set up bridge " + name, name + " exists and is not a bridge", null);
        }
        int index = br == null ? nextIndex++ : br.index();
        MacAddress mac = br == null ? mac(index) : br.mac();
        br = new FakeLink(name, "bridge", null, mac, mtu, new ArrayList<>(), null, index);
        links.put(name, br);
        return state(br);
    }

    @Override
    public synchronized void ensureBridge6(String name, Ip6Host gateway) {
        requireBridge(name);
        bridge6.put(name, gateway);
    }

    @Override
    public synchronized void configurePod6(Path netns, String ifName, Ip6Host address, List<PodRoute6> routes) {
        if (!podInterfaceExists(netns, ifName)) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot configure " + ifName + " in " + netns, "no such device", null);
        }
        if (failConfigure) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot configure " + ifName + " in " + netns,
                    "RTM_NEWADDR failed: Permission denied (EPERM)", null);
        }
        pods6.put(netns + "|" + ifName, new Pod6State(List.of(address), List.copyOf(routes)));
    }

    @Override
    public synchronized Optional<Pod6State> inspectPod6(Path netns, String ifName) {
        if (!podInterfaceExists(netns, ifName)) {
            return Optional.empty();
        }
        return Optional.of(pods6.getOrDefault(netns + "|" + ifName, new Pod6State(List.of(), List.of())));
    }

    @Override
    public synchronized boolean podInterfaceExists(Path netns, String ifName) {
        return pods.getOrDefault(netns, Map.of()).containsKey(ifName);
    }

    @Override
    public synchronized VethPair createPodVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpinMode) {
        FakeLink master = requireBridge(bridge);
        int hi = nextIndex++;
        FakeLink h = new FakeLink(hostName, "veth", master.name(), mac(hi), mtu, List.of(), netns + "|" + ifName, hi);
        links.put(hostName, h);
        int pi = nextIndex++;
        LinkState p = new LinkState(ifName, pi, mac(pi).toString(), mtu, 0, true);
        pods.computeIfAbsent(netns, n -> new HashMap<>()).put(ifName, new PodState(p, List.of(), List.of()));
        if (hairpinMode) {
            hairpin.add(hostName);
        }
        return new VethPair(state(h), p);
    }

    @Override
    public synchronized void createDetachedVeth(String bridge, String hostEnd, String containerEnd, MacAddress mac, int mtu) {
        deleteHostLink(hostEnd);
        deleteHostLink(containerEnd);
        FakeLink master = requireBridge(bridge);
        links.put(hostEnd, new FakeLink(hostEnd, "veth", master.name(), mac(nextIndex), mtu, List.of(), containerEnd, nextIndex++));
        links.put(containerEnd, new FakeLink(containerEnd, "veth", null, mac, mtu, List.of(), hostEnd, nextIndex++));
    }

    private FakeLink requireBridge(String bridge) {
        FakeLink master = links.get(bridge);
        if (master == null) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot create a veth", "no bridge " + bridge, null);
        }
        return master;
    }

    /** What a container runtime does after a Docker Join: moves the container end into the sandbox (out of the host). */
    public synchronized void moveToSandbox(String containerEnd) {
        links.remove(containerEnd);
    }

    /** What the kernel does when a container's namespace goes: both veth ends vanish. */
    public synchronized void killSandbox(String hostEnd) {
        FakeLink l = links.remove(hostEnd);
        if (l != null && l.peer() != null) {
            links.remove(l.peer());
        }
    }

    @Override
    public synchronized void configurePod(Path netns, String ifName, Ip4Net.HostAddress address, List<PodRoute> routes) {
        if (failConfigure) {
            throw new HostAttachmentException(Kind.KERNEL, "cannot configure " + ifName + " in " + netns,
                    "RTM_NEWADDR failed: Permission denied (EPERM)", null);
        }
        PodState s = pods.get(netns).get(ifName);
        pods.get(netns).put(ifName, new PodState(s.link(), List.of(address), List.copyOf(routes)));
    }

    @Override
    public synchronized boolean deletePodInterface(Path netns, String ifName) {
        Map<String, PodState> ns = pods.get(netns);
        if (ns == null || ns.remove(ifName) == null) {
            return false;
        }
        pods6.remove(netns + "|" + ifName);
        links.values().removeIf(l -> (netns + "|" + ifName).equals(l.peer()));
        return true;
    }

    @Override
    public synchronized boolean deleteHostLink(String name) {
        FakeLink l = links.remove(name);
        if (l == null) {
            return false;
        }
        String peer = l.peer();
        if (peer != null) {
            int bar = peer.lastIndexOf('|');
            if (bar >= 0) {
                Map<String, PodState> ns = pods.get(Path.of(peer.substring(0, bar)));
                if (ns != null) {
                    ns.remove(peer.substring(bar + 1));
                }
                pods6.remove(peer);
            } else {
                links.remove(peer);
            }
        }
        return true;
    }

    @Override
    public synchronized Optional<LinkState> hostLink(String name) {
        FakeLink l = links.get(name);
        return l == null ? Optional.empty() : Optional.of(state(l));
    }

    @Override
    public synchronized List<String> hostLinkNames() {
        return List.copyOf(links.keySet());
    }

    @Override
    public synchronized List<String> bridgePorts(String bridge) {
        return links.values().stream().filter(l -> bridge.equals(l.master())).map(FakeLink::name).toList();
    }

    @Override
    public synchronized Optional<PodState> inspectPod(Path netns, String ifName) {
        return Optional.ofNullable(pods.getOrDefault(netns, Map.of()).get(ifName));
    }

    @Override
    public synchronized void enableIpForwarding() {
        forwarding = true;
    }

    private LinkState state(FakeLink l) {
        FakeLink master = l.master() == null ? null : links.get(l.master());
        return new LinkState(l.name(), l.index(), l.mac() == null ? "" : l.mac().toString(), l.mtu(),
                master == null ? 0 : master.index(), true);
    }
}
