package io.javaoverlay.docker.names;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.threads.DaemonThreads;

/**
 * Reads container names from dockerd's API ({@code GET /networks/ID}, {@code GET /containers/ID/json})
 * over its Unix socket. dockerd tells a network driver no names (not in CreateEndpoint, Join or
 * their options), so this is the only way to learn them. Each request is one HTTP/1.0 exchange
 * (dockerd closes the connection after the reply, so no chunked bodies), bounded in time and size.
 */
public final class DockerApi implements ContainerNameSource, AutoCloseable {

    /** dockerd's default API socket (what {@code docker} uses without {@code DOCKER_HOST}). */
    public static final String DEFAULT_HOST = "unix:///var/run/docker.sock";
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    /** A network with thousands of containers is far below this; a larger reply is refused. */
    private static final int MAX_REPLY = 8 << 20;
    /** Docker IDs are 64 hex digits; checked before they go into a request path. */
    private static final Pattern ID = Pattern.compile("[0-9a-f]{12,64}");

    private final Path socket;
    private final ObjectMapper json = new ObjectMapper();
    private final ScheduledExecutorService deadlines = DaemonThreads.scheduler("dockerd-api-deadline");

    private DockerApi(Path socket) {
        this.socket = socket;
    }

    /** {@code host} as {@code DOCKER_HOST} spells it; only {@code unix://} is served (dockerd's default). */
    public static DockerApi of(String host) {
        if (!host.startsWith("unix://") || host.length() <= "unix://".length()) {
            throw new IllegalArgumentException("--docker-host must be unix:///PATH (dockerd's API socket), got \"" + host + "\"");
        }
        return new DockerApi(Path.of(host.substring("unix://".length())));
    }

    @Override
    public Optional<Named> namesOf(String networkId, String endpointId) throws IOException {
        requireId(networkId);
        requireId(endpointId);
        JsonNode network = get("/networks/" + networkId);
        String containerId = null;
        var containers = network.path("Containers").fields();
        while (containers.hasNext()) {
            var c = containers.next();
            if (endpointId.equals(c.getValue().path("EndpointID").asText())) {
                containerId = c.getKey();
            }
        }
        if (containerId == null || !ID.matcher(containerId).matches()) {
            return Optional.empty();
        }
        JsonNode container = get("/containers/" + containerId + "/json");
        List<String> names = new ArrayList<>();
        names.add(container.path("Name").asText());
        var networks = container.path("NetworkSettings").path("Networks").elements();
        while (networks.hasNext()) {
            JsonNode n = networks.next();
            if (endpointId.equals(n.path("EndpointID").asText())) {
                n.path("Aliases").forEach(a -> names.add(a.asText()));
            }
        }
        return Optional.of(new Named(containerId.substring(0, 12), names));
    }

    private static void requireId(String id) {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("not a Docker ID: \"" + id + "\"");
        }
    }

    /** GET {@code path}, the body parsed; IOException for anything but a 200 in time and size. */
    JsonNode get(String path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            // a blocking channel has no read timeout: a deadline closes it, which ends the read
            ScheduledFuture<?> deadline = deadlines.schedule(() -> {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // closing is all we wanted
                }
            }, TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                ch.write(ByteBuffer.wrap(("GET " + path + " HTTP/1.0\r\nHost: docker\r\n\r\n").getBytes(ISO_8859_1)));
                ByteArrayOutputStream reply = new ByteArrayOutputStream();
                ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
                while (ch.read(buf.clear()) >= 0) {
                    reply.write(buf.array(), 0, buf.position());
                    if (reply.size() > MAX_REPLY) {
                        throw new IOException("dockerd's reply to " + path + " is larger than " + MAX_REPLY + " bytes");
                    }
                }
                return parse(path, reply.toByteArray());
            } finally {
                deadline.cancel(false);
            }
        } catch (IOException e) {
            throw new IOException("dockerd at " + socket + ", GET " + path + ": " + e.getMessage(), e);
        }
    }

    private JsonNode parse(String path, byte[] reply) throws IOException {
        String text = new String(reply, ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (end < 0 || !text.startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP reply");
        }
        String status = text.substring(0, text.indexOf("\r\n"));
        if (!status.matches("HTTP/1\\.[01] 200.*")) {
            throw new IOException(status);
        }
        return json.readTree(new String(reply, end + 4, reply.length - end - 4, UTF_8));
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
    }
}
