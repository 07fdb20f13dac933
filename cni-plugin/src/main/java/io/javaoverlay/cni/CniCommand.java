package io.javaoverlay.cni;

import java.util.Optional;

/** {@code CNI_COMMAND}. */
public enum CniCommand {
    ADD, DEL, CHECK, STATUS, GC, VERSION;

    public static Optional<CniCommand> parse(String text) {
        for (CniCommand c : values()) {
            if (c.name().equals(text)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** ADD, DEL and CHECK act on one attachment and need CNI_CONTAINERID and CNI_IFNAME. */
    public boolean isAttachment() {
        return this == ADD || this == DEL || this == CHECK;
    }

    /** ADD and CHECK need a namespace; DEL does not (containerd sends an empty one). */
    public boolean needsNetns() {
        return this == ADD || this == CHECK;
    }
}
