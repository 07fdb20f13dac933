package io.javaoverlay.cni.server;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Who may hand CNI calls to the agent: root, and the members of one configured group (their
 * primary group, as SO_PEERCRED reports it). The socket file says the same to the kernel:
 * 0600 root-only, or 0660 with that group, so others cannot even connect; the server checks
 * the peer's credentials again on every connection, since a file mode can be changed.
 *
 * @param groupName the group as configured ({@code --cni-socket-group}); empty for root only
 */
record SocketAccess(Optional<String> groupName) {

    SocketAccess {
        groupName = groupName.filter(g -> !g.isBlank());
    }

    static SocketAccess rootOnly() {
        return new SocketAccess(Optional.empty());
    }

    /**
     * Gives the bound socket file its mode and group; returns the group's id (empty without a group).
     *
     * @throws IOException when the group does not exist, naming it
     */
    OptionalLong applyTo(Path socket) throws IOException {
        if (groupName.isEmpty()) {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            return OptionalLong.empty();
        }
        GroupPrincipal group;
        try {
            group = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(groupName.get());
        } catch (UserPrincipalNotFoundException e) {
            throw new IOException("group \"" + groupName.get() + "\" (--cni-socket-group) does not exist; create it or"
                    + " leave the option out for a root-only socket", e);
        }
        Files.getFileAttributeView(socket, PosixFileAttributeView.class).setGroup(group);
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw----"));
        return OptionalLong.of(((Number) Files.getAttribute(socket, "unix:gid")).longValue());
    }

    /** Whether a peer with these credentials may call; {@code gid} is the configured group's id. */
    static boolean allows(long uid, long primaryGid, OptionalLong gid) {
        return uid == 0 || (gid.isPresent() && primaryGid == gid.getAsLong());
    }
}
