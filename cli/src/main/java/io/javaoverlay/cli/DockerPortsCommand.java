package io.javaoverlay.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import io.javaoverlay.core.host.HostDefaults;
import io.javaoverlay.docker.state.EndpointState;
import io.javaoverlay.docker.state.PortMapping;
import io.javaoverlay.docker.state.StateStore;

/**
 * {@code javaoverlay docker-ports}: the published ports of the Docker plugin's containers, read
 * from its state directory. dockerd cannot show the ports of a network plugin ({@code docker
 * port} stays empty, docs/docker.md), so this is where a user finds the host port {@code -P}
 * picked. Reads only; the directory is root's, like the plugin.
 */
@Command(name = "docker-ports", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Shows the ports the javaoverlay Docker plugin published, as docker port would:",
            "  javaoverlay docker-ports $(docker inspect -f '{{.NetworkSettings.SandboxKey}}' CONTAINER)",
            "With no argument: every container with published ports, one line each."
        })
final class DockerPortsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--docker-data-dir", paramLabel = "DIR", defaultValue = HostDefaults.DOCKER_STATE_DIR,
            description = "the Docker plugin's --docker-data-dir (default: ${DEFAULT-VALUE})")
    Path dockerDataDir;

    @Parameters(paramLabel = "SANDBOX|ENDPOINT", arity = "0..*",
            description = "a container's sandbox key (docker inspect: NetworkSettings.SandboxKey) or endpoint ID (or its first 12 characters)")
    List<String> which = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!Files.isDirectory(dockerDataDir)) {
            err.println("no Docker plugin state in " + dockerDataDir + " (is the plugin running with --docker-data-dir "
                    + dockerDataDir + "?)");
            return 1;
        }
        List<EndpointState> endpoints = new ArrayList<>(StateStore.open(dockerDataDir).endpoints());
        endpoints.sort(Comparator.comparing(EndpointState::id));
        if (which.isEmpty()) {
            for (EndpointState ep : endpoints) {
                if (!ep.ports().isEmpty()) {
                    out.println(ep.id().substring(0, 12) + "  " + ep.address().ip() + "  " + ep.sandboxKey() + "  "
                            + String.join(", ", ep.ports().stream().map(PortMapping::toString).toList()));
                }
            }
            return 0;
        }
        int missing = 0;
        for (String w : which) {
            List<EndpointState> found = endpoints.stream().filter(ep -> matches(ep, w)).toList();
            if (found.isEmpty()) {
                err.println("no javaoverlay endpoint with sandbox or ID " + w);
                missing++;
            }
            for (EndpointState ep : found) {
                for (PortMapping m : ep.ports()) {
                    // docker port's own format: 80/tcp -> 0.0.0.0:49153, then 80/tcp -> [::]:49153
                    for (String on : hostAddresses(ep, m)) {
                        out.println(m.containerPort() + "/" + m.protocol().iptablesName() + " -> " + on + ":" + m.hostPort());
                    }
                }
            }
        }
        return missing == 0 ? 0 : 1;
    }

    /**
     * Where a mapping answers, as docker port lists it: {@code 0.0.0.0} and, for a port on every
     * address, {@code [::]} when the container has an IPv6 address (the host's IPv6 addresses
     * and ::1) or {@code [::1]} when it has not (the relay only); an address of its own otherwise.
     */
    static List<String> hostAddresses(EndpointState ep, PortMapping m) {
        if (!m.everyAddress()) {
            return List.of(m.hostAddressText());
        }
        if (ep.address6() != null) {
            return List.of("0.0.0.0", "[::]");
        }
        return m.protocol() == PortMapping.Protocol.SCTP ? List.of("0.0.0.0") : List.of("0.0.0.0", "[::1]");
    }

    private static boolean matches(EndpointState ep, String w) {
        return w.equals(ep.sandboxKey()) || (w.length() >= 12 && ep.id().startsWith(w));
    }
}
