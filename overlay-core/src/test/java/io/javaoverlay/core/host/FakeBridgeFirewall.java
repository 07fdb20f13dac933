package io.javaoverlay.core.host;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.javaoverlay.core.net.Ip4Net;

/**
 * Records what both faces ask of the {@link BridgeFirewall}. Test sources only (the overlay-core
 * test jar), one fake for the one bridge firewall.
 */
public final class FakeBridgeFirewall implements BridgeFirewall {

    /** Bridges whose forwarding is allowed now. */
    public final Set<String> forwardedBridges = new LinkedHashSet<>();
    /** Every {@link #ensureMasquerade} call, as {@code "network overlay lease"}. */
    public final List<String> masqueradeCalls = new ArrayList<>();
    /** Set to make every call fail as iptables would, e.g. with an {@code IptablesException}. */
    public RuntimeException failure;
    /** Per network, the {@code "overlay lease"} its masquerade rules are for. */
    private final Map<String, String> masqueraded = new HashMap<>();

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
    public synchronized void removeForwarding() {
        failIfAsked();
        forwardedBridges.clear();
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

    /** As if someone flushed the network's masquerade chain by hand. */
    public synchronized void dropMasquerade(String network) {
        masqueraded.remove(network);
    }
}
