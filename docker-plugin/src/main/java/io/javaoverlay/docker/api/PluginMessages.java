package io.javaoverlay.docker.api;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Bodies shared by every plugin interface: the handshake and the two error shapes. */
public final class PluginMessages {

    private PluginMessages() {}

    /** {@code /Plugin.Activate}: the interfaces this socket serves. */
    public record Manifest(@JsonProperty("Implements") List<String> implementsList) {}

    /** A network driver error: libnetwork's remote driver reads {@code Err}. */
    public record DriverError(@JsonProperty("Err") String err) {}

    /** An IPAM error: libnetwork's remote IPAM client reads {@code Error}. */
    public record IpamError(@JsonProperty("Error") String error) {}

    /**
     * An IPAM error with an HTTP error status. dockerd's plugin client reads {@code Err} from
     * every reply whose status is not 200, whatever the interface (and shows the raw body when
     * there is none); libnetwork's IPAM client reads {@code Error} from 200 replies. So a failed
     * IPAM call with an error status carries the message under both.
     */
    public record IpamStatusError(@JsonProperty("Err") String err, @JsonProperty("Error") String error) {}

    /** A reply that carries nothing: {@code {}}. */
    public record Empty() {}
}
