package io.javaoverlay.core.metrics;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * What the backends registered for one kind of scrape-time reading ({@link BackendTraffic},
 * {@link TunnelPeers}), by backend name, and the one way they are read: each supplier once per
 * scrape, a backend whose supplier throws (it is closing) or gives null (its device is being made
 * again) left out of that scrape.
 */
final class BackendReadings<T> {

    private final Map<String, Supplier<T>> suppliers = new ConcurrentHashMap<>();

    OverlayMetrics.BackendRegistration register(String backend, Supplier<T> reading) {
        suppliers.put(backend, reading);
        return () -> suppliers.remove(backend, reading);
    }

    /** Reads every backend once and hands {@code action} each reading there is, with the backend's name. */
    void readEach(BiConsumer<String, T> action) {
        suppliers.forEach((name, supplier) -> {
            T reading;
            try {
                reading = supplier.get();
            } catch (RuntimeException e) {
                return;
            }
            if (reading != null) {
                action.accept(name, reading);
            }
        });
    }
}
