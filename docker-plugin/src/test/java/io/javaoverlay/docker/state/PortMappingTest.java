package io.javaoverlay.docker.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;

class PortMappingTest {

    static final PortMapping.Protocol TCP = PortMapping.Protocol.TCP;
    final ObjectMapper json = StateJson.mapper();

    @Test
    void anIpv6HostAddressIsKeptInTheStateFileAndOlderFilesReadAsBefore() throws Exception {
        PortMapping on6 = PortMapping.on6(TCP, Ip6Host.parse("fd00:e2e::1/128"), 8081, 80);
        String text = json.writeValueAsString(on6);
        assertThat(text).contains("\"hostIp6\" : \"fd00:e2e::1/128\"");
        assertThat(json.readValue(text, PortMapping.class)).isEqualTo(on6);
        PortMapping every = new PortMapping(TCP, null, 8080, 80);
        assertThat(json.writeValueAsString(every)).as("no field where there is no address").doesNotContain("hostIp6");
        assertThat(json.readValue("{\"protocol\":\"TCP\",\"hostIp\":\"10.0.0.1\",\"hostPort\":8080,\"containerPort\":80}",
                PortMapping.class)).isEqualTo(new PortMapping(TCP, Ip4.parse("10.0.0.1"), 8080, 80));
    }

    @Test
    void whereEachKindAnswers() {
        PortMapping every = new PortMapping(TCP, null, 8080, 80);
        PortMapping v4 = new PortMapping(TCP, Ip4.parse("10.0.0.1"), 8080, 80);
        PortMapping one6 = PortMapping.on6(TCP, Ip6Host.parse("fd00::1/128"), 8080, 80);
        PortMapping any6 = PortMapping.on6(TCP, PortMapping.ANY6, 8080, 80);
        PortMapping lo6 = PortMapping.on6(TCP, PortMapping.LOOPBACK6, 8080, 80);
        assertThat(every).hasToString("8080->80/tcp");
        assertThat(one6).hasToString("[fd00::1]:8080->80/tcp");
        assertThat(lo6).hasToString("[::1]:8080->80/tcp");
        assertThat(every.onIpv4() && every.onIpv6Addresses() && every.onLoopback6()).isTrue();
        assertThat(v4.onIpv4() && !v4.onIpv6Addresses() && !v4.onLoopback6()).isTrue();
        assertThat(!one6.onIpv4() && one6.onIpv6Addresses() && !one6.onLoopback6()).isTrue();
        assertThat(!any6.onIpv4() && any6.onIpv6Addresses() && any6.onLoopback6()).isTrue();
        assertThat(!lo6.onIpv4() && !lo6.onIpv6Addresses() && lo6.onLoopback6()).isTrue();

        assertThat(every.clashesWith(one6) && every.clashesWith(v4) && any6.clashesWith(lo6) && any6.clashesWith(one6)).isTrue();
        assertThat(v4.clashesWith(one6) || one6.clashesWith(lo6) || v4.clashesWith(any6)).isFalse();
        assertThat(one6.clashesWith(PortMapping.on6(TCP, Ip6Host.parse("fd00::2/128"), 8080, 80))).isFalse();
        assertThat(one6.clashesWith(PortMapping.on6(PortMapping.Protocol.UDP, Ip6Host.parse("fd00::1/128"), 8080, 80))).isFalse();

        assertThatThrownBy(() -> new PortMapping(TCP, Ip4.parse("10.0.0.1"), 8080, 80, PortMapping.LOOPBACK6))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PortMapping.on6(TCP, Ip6Host.parse("fd00::1/64"), 8080, 80)).isInstanceOf(IllegalArgumentException.class);
    }
}
