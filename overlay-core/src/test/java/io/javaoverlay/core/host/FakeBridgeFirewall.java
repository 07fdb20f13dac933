package io.javaoverlay.core.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Net;

/**
 * Records what both faces ask of the {@link BridgeFirewall}. Test sources only (the overlay-core
 * test jar), one fake for the one bridge firewall.
 */
public final class FakeBridgeFirewall implements BridgeFirewall {

    /** Bridges whose forwarding is allowed now. */
    public final Set<String> forwardedBridges = new LinkedHashSet<>();
    /** Bridges whose IPv6 forwarding (ip6tables) is allowed now. */
    public final Set<String> forwardedBridges6 = new LinkedHashSet<>();
    /** Every {@link #ensureMasquerade} call, as {@code "network overlay lease"}. */
    public final List<String> masqueradeCalls = new ArrayList<>();
    /** Set to make every call fail as iptables would, e.g. with an {@code IptablesException}. */
    public RuntimeException failure;
    /** Set to make only the IPv6 masquerade calls fail (a host without ip6tables' nat table). */
    public RuntimeException failure6;
    /** Every {@link #ensureMasquerade6} call, as {@code "network overlay lease"}. */
    public final List<String> masquerade6Calls = new ArrayList<>();
    /** Every {@link #removeMasquerade} call: the network named. */
    public final List<String> removedMasquerades = new ArrayList<>();
    /** Per network, the {@code "overlay lease"} its masquerade rules are for. */
    private final Map<String, String> masqueraded = new HashMap<>();
    /** The same for the IPv6 rules. */
    private final Map<String, String> masqueraded6 = new HashMap<>();

    private void failIfAsked() {
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public synchronized void ensureForwarding(String bridge) {
        failIfAsked();
        forwardedBridges.clear(); // one forward chain per host, rewritten for the bridge named
        forwardedBridges.add(bridge);
    }

    @Override
    public synchronized void ensureForwarding6(String bridge) {
        failIfAsked();
        forwardedBridges6.clear();
        forwardedBridges6.add(bridge);
    }

    @Override
    public synchronized void removeForwarding() {
        failIfAsked();
        forwardedBridges.clear();
        forwardedBridges6.clear();
    }

    @Override
    public synchronized void ensureMasquerade(String network, Ip4Net overlay, Ip4Net lease) {
        failIfAsked();
        masqueradeCalls.add(network + " " + overlay + " " + lease);
        masqueraded.put(network, overlay + " " + lease);
    }

    @Override
    public synchronized boolean isMasqueraded(String network, Ip4Net overlay, Ip4Net lease) {
        failIfAsked();
        return (overlay + " " + lease).equals(masqueraded.get(network));
    }

    @Override
    public synchronized void ensureMasquerade6(String network, Ip6Net overlay, Ip6Net lease) {
        failIfAsked();
        if (failure6 != null) {
            throw failure6;
        }
        masquerade6Calls.add(network + " " + overlay + " " + lease);
        masqueraded6.put(network, overlay + " " + lease);
    }

    @Override
    public synchronized boolean isMasqueraded6(String network, Ip6Net overlay, Ip6Net lease) {
        failIfAsked();
        if (failure6 != null) {
            throw failure6;
        }
        return (overlay + " " + lease).equals(masqueraded6.get(network));
    }

    @Override
    public synchronized void removeMasquerade(String network) {
        failIfAsked();
        removedMasquerades.add(network);
        masqueraded.remove(network);
        masqueraded6.remove(network);
    }

    /** Whether {@code network} has masquerade rules of either family now. */
    public synchronized boolean hasMasquerade(String network) {
        return masqueraded.containsKey(network) || masqueraded6.containsKey(network);
    }

    /** As if someone flushed the network's masquerade chain by hand. */
    public synchronized void dropMasquerade(String network) {
        masqueraded.remove(network);
    }

    /** As if someone flushed the network's IPv6 masquerade chain (ip6tables) by hand. */
    public synchronized void dropMasquerade6(String network) {
        masqueraded6.remove(network);
    }
}
