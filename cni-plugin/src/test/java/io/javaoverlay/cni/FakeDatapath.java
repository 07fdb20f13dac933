package io.javaoverlay.cni;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.javaoverlay.core.net.Ip4Net;

/** Links, addresses and routes in memory, for the plugin's logic apart from the kernel. */
final class FakeDatapath implements Datapath {

    final Map<String, LinkState> host = new LinkedHashMap<>();
    final Map<Path, Map<String, PodState>> pods = new HashMap<>();
    final Map<String, String> vethPeers = new HashMap<>();
    final List<String> hairpin = new ArrayList<>();
    Ip4Net.HostAddress bridgeAddress;
    boolean forwarding;
    /** set to make configurePod fail, as a kernel refusal would */
    boolean failConfigure;
    private int nextIndex = 2;

    private String mac(int index) {
        return String.format("0a:58:00:00:00:%02x", index);
    }

    @Override
    public LinkState ensureBridge(String name, Ip4Net.HostAddress gateway, int mtu) {
        LinkState b = host.get(name);
        if (b == null) {
            b = new LinkState(name, nextIndex, mac(nextIndex++), mtu, 0, true);
            host.put(name, b);
        }
        bridgeAddress = gateway;
        return b;
    }

    @Override
    public boolean podInterfaceExists(Path netns, String ifName) {
        return pods.getOrDefault(netns, Map.of()).containsKey(ifName);
    }

    @Override
    public VethPair createVeth(String bridge, String hostName, Path netns, String ifName, int mtu, boolean hairpinMode) {
        LinkState master = host.get(bridge);
        LinkState h = new LinkState(hostName, nextIndex, mac(nextIndex++), mtu, master.index(), true);
        LinkState p = new LinkState(ifName, nextIndex, mac(nextIndex++), mtu, 0, true);
        host.put(hostName, h);
        pods.computeIfAbsent(netns, n -> new HashMap<>()).put(ifName, new PodState(p, List.of(), List.of()));
        vethPeers.put(hostName, netns + "|" + ifName);
        if (hairpinMode) {
            hairpin.add(hostName);
        }
        return new VethPair(h, p);
    }

    @Override
    public void configurePod(Path netns, String ifName, Ip4Net.HostAddress address, List<PodRoute> routes) {
        if (failConfigure) {
            throw new CniException(ErrorCode.KERNEL_FAILURE, "RTM_NEWADDR failed: Permission denied (EPERM)", "");
        }
        PodState s = pods.get(netns).get(ifName);
        pods.get(netns).put(ifName, new PodState(s.link(), List.of(address), List.copyOf(routes)));
    }

    @Override
    public boolean deletePodInterface(Path netns, String ifName) {
        Map<String, PodState> ns = pods.get(netns);
        if (ns == null || ns.remove(ifName) == null) {
            return false;
        }
        vethPeers.entrySet().removeIf(e -> {
            if (e.getValue().equals(netns + "|" + ifName)) {
                host.remove(e.getKey());
                return true;
            }
            return false;
        });
        return true;
    }

    @Override
    public boolean deleteHostLink(String name) {
        if (host.remove(name) == null) {
            return false;
        }
        String peer = vethPeers.remove(name);
        if (peer != null) {
            String[] p = peer.split("\\|");
            pods.get(Path.of(p[0])).remove(p[1]);
        }
        return true;
    }

    @Override
    public Optional<LinkState> hostLink(String name) {
        return Optional.ofNullable(host.get(name));
    }

    @Override
    public Optional<PodState> inspectPod(Path netns, String ifName) {
        return Optional.ofNullable(pods.getOrDefault(netns, Map.of()).get(ifName));
    }

    @Override
    public void enableIpForwarding() {
        forwarding = true;
    }
}
