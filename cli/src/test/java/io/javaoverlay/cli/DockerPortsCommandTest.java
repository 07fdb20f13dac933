package io.javaoverlay.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.MacAddress;
import io.javaoverlay.docker.state.EndpointState;
import io.javaoverlay.docker.state.PortMapping;

/** Where docker-ports says a mapping answers, in docker port's address forms. */
class DockerPortsCommandTest {

    static final String EP = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static final String NET = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    static final PortMapping.Protocol TCP = PortMapping.Protocol.TCP;

    @Test
    void everyAddressIsBothFamiliesAndAnAddressIsItself() {
        EndpointState dual = EndpointState.create(EP, NET, Ip4Net.parseHost("10.5.72.2/24"), Ip6Host.parse("fc00:5:0:34::2/64"),
                MacAddress.parse("02:42:0a:05:48:02"));
        EndpointState v4only = EndpointState.create(EP, NET, Ip4Net.parseHost("10.5.72.2/24"), MacAddress.parse("02:42:0a:05:48:02"));
        PortMapping every = new PortMapping(TCP, null, 8080, 80);
        assertThat(DockerPortsCommand.hostAddresses(dual, every)).containsExactly("0.0.0.0", "[::]");
        assertThat(DockerPortsCommand.hostAddresses(v4only, every)).as("::1 through the relay only").containsExactly("0.0.0.0", "[::1]");
        assertThat(DockerPortsCommand.hostAddresses(v4only, new PortMapping(PortMapping.Protocol.SCTP, null, 8080, 80)))
                .containsExactly("0.0.0.0");
        assertThat(DockerPortsCommand.hostAddresses(dual, new PortMapping(TCP, Ip4.parse("127.0.0.1"), 8081, 80)))
                .containsExactly("127.0.0.1");
        assertThat(DockerPortsCommand.hostAddresses(dual, PortMapping.on6(TCP, Ip6Host.parse("fd00::1/128"), 8082, 80)))
                .containsExactly("[fd00::1]");
        assertThat(DockerPortsCommand.hostAddresses(dual, PortMapping.on6(TCP, PortMapping.ANY6, 8083, 80))).containsExactly("[::]");
    }
}
