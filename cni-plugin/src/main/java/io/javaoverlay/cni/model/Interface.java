package io.javaoverlay.cni.model;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * An interface in a result.
 *
 * @param sandbox the namespace path for an interface inside the container, empty on the host
 */
public record Interface(String name, Optional<String> mac, OptionalInt mtu, Optional<String> sandbox) {

    public Interface {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("an interface needs a name");
        }
        mac = mac == null ? Optional.empty() : mac;
        mtu = mtu == null ? OptionalInt.empty() : mtu;
        sandbox = sandbox == null ? Optional.empty() : sandbox.filter(s -> !s.isEmpty());
    }

    public static Interface host(String name, String mac, int mtu) {
        return new Interface(name, Optional.of(mac), OptionalInt.of(mtu), Optional.empty());
    }

    public static Interface sandboxed(String name, String mac, int mtu, String netns) {
        return new Interface(name, Optional.of(mac), OptionalInt.of(mtu), Optional.of(netns));
    }
}
