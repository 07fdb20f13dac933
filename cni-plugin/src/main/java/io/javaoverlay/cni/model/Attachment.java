package io.javaoverlay.cni.model;

/** One container interface on a network: the spec's key for state, {@code (CNI_CONTAINERID, CNI_IFNAME)}. */
public record Attachment(String containerId, String ifName) {

    public Attachment {
        if (containerId == null || containerId.isEmpty() || ifName == null || ifName.isEmpty()) {
            throw new IllegalArgumentException("an attachment needs a container ID and an interface name");
        }
    }
}
