package io.javaoverlay.docker.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.files.AtomicFiles;
import io.javaoverlay.core.files.FileModes;

/**
 * The plugin's state on disk: one JSON file per network and endpoint under
 * {@code <dir>/networks} and {@code <dir>/endpoints}, each written
 * atomically (temporary file, then rename), so a plugin killed mid-write leaves the old file
 * or the new one. Everything is loaded at open and kept in memory; writes go through.
 *
 * <p>Not thread-safe: the RPC handler serializes every call that changes state.
 */
public final class StateStore {

    private static final Logger LOG = LoggerFactory.getLogger(StateStore.class);

    private final ObjectMapper json = StateJson.mapper();
    private final Kind<NetworkState> networks;
    private final Kind<EndpointState> endpoints;
    private final Path dir;

    private StateStore(Path dir) throws IOException {
        this.dir = dir;
        this.networks = new Kind<>(dir.resolve("networks"), NetworkState.class, NetworkState::id);
        this.endpoints = new Kind<>(dir.resolve("endpoints"), EndpointState.class, EndpointState::id);
    }

    /**
     * Opens (creating if needed, {@code rwx------}, like its two subdirectories and {@code rw-------}
     * files) the state directory and loads it. An existing directory open to other users is
     * tightened; one owned by another user is refused ({@link FileModes#privateDirectory}).
     */
    public static StateStore open(Path dir) throws IOException {
        FileModes.privateDirectory(dir);
        StateStore store = new StateStore(dir);
        LOG.info("state in {}: {} networks, {} endpoints", dir, store.networks.all().size(), store.endpoints.all().size());
        return store;
    }

    public Path directory() {
        return dir;
    }

    public Optional<NetworkState> network(String id) {
        return networks.get(id);
    }

    public Collection<NetworkState> networks() {
        return networks.all();
    }

    public void save(NetworkState network) {
        networks.put(network);
    }

    public void deleteNetwork(String id) {
        networks.remove(id);
    }

    public Optional<EndpointState> endpoint(String id) {
        return endpoints.get(id);
    }

    public Collection<EndpointState> endpoints() {
        return endpoints.all();
    }

    public List<EndpointState> endpointsOf(String networkId) {
        return endpoints.all().stream().filter(e -> e.networkId().equals(networkId)).toList();
    }

    public void save(EndpointState endpoint) {
        endpoints.put(endpoint);
    }

    public void deleteEndpoint(String id) {
        endpoints.remove(id);
    }

    /** One kind of record: a directory of {@code <id>.json} files and their in-memory copy. */
    private final class Kind<T> {
        private final Path dir;
        private final Class<T> type;
        private final Function<T, String> id;
        private final Map<String, T> byId = new TreeMap<>();

        Kind(Path dir, Class<T> type, Function<T, String> id) throws IOException {
            this.dir = dir;
            this.type = type;
            this.id = id;
            FileModes.privateDirectory(dir);
            load();
        }

        private void load() throws IOException {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
                for (Path f : files) {
                    try {
                        T value = json.readValue(f.toFile(), type);
                        byId.put(id.apply(value), value);
                    } catch (IOException | RuntimeException e) {
                        // one unreadable record must not keep the plugin (and every other network) down
                        Path aside = f.resolveSibling(f.getFileName() + ".corrupt");
                        LOG.error("cannot read {} ({}); moved it to {} and going on without it", f, e.getMessage(), aside);
                        Files.move(f, aside, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }

        synchronized Optional<T> get(String key) {
            return Optional.ofNullable(byId.get(key));
        }

        synchronized Collection<T> all() {
            return List.copyOf(byId.values());
        }

        synchronized void put(T value) {
            String key = id.apply(value);
            Path file = dir.resolve(key + ".json");
            try {
                AtomicFiles.write(file, json.writeValueAsBytes(value));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
            }
            byId.put(key, value);
        }

        synchronized void remove(String key) {
            try {
                Files.deleteIfExists(dir.resolve(key + ".json"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete " + dir.resolve(key + ".json") + ": " + e.getMessage(), e);
            }
            byId.remove(key);
        }
    }

    @Override
    public String toString() {
        return "StateStore[" + dir + "]";
    }
}
