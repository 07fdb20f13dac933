package io.javaoverlay.core.backend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.javaoverlay.core.files.AtomicFiles;
import io.javaoverlay.core.files.FileModes;
import io.javaoverlay.core.net.MacAddress;

/**
 * The VXLAN VTEP MAC of this host, one per VNI, kept in {@code <data-dir>/vxlan-<VNI>.mac}.
 *
 * <p>flannel lets the kernel pick the device's MAC, so it changes whenever the device is
 * recreated and every peer must relearn it. A random locally administered MAC chosen once and
 * kept here stays the same across agent restarts; the vxlan backend sets it on its device.
 * The data directory is this service's alone ({@code rwx------}, {@link FileModes}).
 */
public final class VtepMacStore {

    private static final Logger LOG = LoggerFactory.getLogger(VtepMacStore.class);

    private final Path dir;
    /** {@code vxlan-}, or {@code vxlan-v6-} for the MAC of {@code flannel-v6.<VNI>}. */
    private final String prefix;

    public VtepMacStore(Path dir) {
        this(dir, "vxlan-");
    }

    private VtepMacStore(Path dir, String prefix) {
        this.dir = dir;
        this.prefix = prefix;
    }

    /**
     * The store of the IPv6 device's MAC ({@code <data-dir>/vxlan-v6-<VNI>.mac}): flannel gives
     * {@code flannel-v6.<VNI>} a MAC of its own and publishes it in {@code BackendV6Data}.
     */
    public static VtepMacStore ipv6(Path dir) {
        return new VtepMacStore(dir, "vxlan-v6-");
    }

    /** The file for one VNI. */
    public Path file(int vni) {
        return dir.resolve(prefix + vni + ".mac");
    }

    /**
     * This host's MAC for {@code vni}, in flannel's order of preference: the one its own previous
     * lease published (the store remembers it even when the data directory is new), else the one
     * saved here, else a new one. A MAC another host publishes ({@code takenByOthers}) is never
     * chosen: two hosts started from one copied data directory would otherwise share a VTEP MAC,
     * and the FDB of every peer would send one host's traffic to the other.
     */
    public MacAddress choose(int vni, Optional<MacAddress> fromOwnLease, Set<MacAddress> takenByOthers) {
        if (fromOwnLease.isPresent() && fromOwnLease.get().isUnicastStation() && !takenByOthers.contains(fromOwnLease.get())) {
            MacAddress mac = fromOwnLease.get();
            if (!mac.equals(readSaved(vni).orElse(null))) {
                save(vni, mac);
                LOG.info("VTEP MAC {} for VNI {} from this host's previous lease (kept in {})", mac, vni, file(vni));
            }
            return mac;
        }
        MacAddress mac = macFor(vni);
        if (takenByOthers.contains(mac)) {
            LOG.warn("VTEP MAC {} in {} is published by another host (a copied data directory?); choosing a new one", mac, file(vni));
            return renew(vni, takenByOthers);
        }
        return mac;
    }

    /** A new random MAC for {@code vni}, none of {@code avoid}, saved. */
    public MacAddress renew(int vni, Set<MacAddress> avoid) {
        MacAddress mac;
        do {
            mac = MacAddress.randomLocal();
        } while (avoid.contains(mac));
        save(vni, mac);
        LOG.info("chose VTEP MAC {} for VNI {} (kept in {})", mac, vni, file(vni));
        return mac;
    }

    private Optional<MacAddress> readSaved(int vni) {
        try {
            return Optional.of(MacAddress.parse(Files.readString(file(vni), StandardCharsets.UTF_8).strip()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private void save(int vni, MacAddress mac) {
        try {
            FileModes.privateDirectory(dir);
            AtomicFiles.writeString(file(vni), mac + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the VTEP MAC to " + file(vni) + " (set --data-dir to a writable directory)", e);
        }
    }

    /** This host's MAC for {@code vni}, made and saved on first use. */
    public MacAddress macFor(int vni) {
        Path f = file(vni);
        try {
            FileModes.privateDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot use the data directory " + dir + " (" + e.getMessage()
                    + "; set --data-dir to a directory only this user can write)", e);
        }
        try {
            String text = Files.readString(f, StandardCharsets.UTF_8).strip();
            try {
                return MacAddress.parse(text);
            } catch (IllegalArgumentException e) {
                LOG.warn("{} holds \"{}\", not a MAC address; choosing a new VTEP MAC", f, text);
            }
        } catch (NoSuchFileException e) {
            // first run on this host
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the VTEP MAC from " + f + " (is --data-dir readable?)", e);
        }
        return renew(vni, Set.of());
    }
}
