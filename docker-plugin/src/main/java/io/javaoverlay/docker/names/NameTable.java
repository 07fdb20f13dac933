package io.javaoverlay.docker.names;

import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.javaoverlay.core.net.Ip4;

/** The names the DNS server answers, replaced whole after every read of the store. */
public final class NameTable {

    private volatile Map<String, List<Ip4>> byName = Map.of();

    /** The addresses of {@code name} (any case), empty when it is not known. */
    public List<Ip4> lookup(String name) {
        return byName.getOrDefault(name.toLowerCase(Locale.ROOT), List.of());
    }

    public void replace(Map<String, List<Ip4>> names) {
        this.byName = Map.copyOf(names);
    }

    public int size() {
        return byName.size();
    }
}
