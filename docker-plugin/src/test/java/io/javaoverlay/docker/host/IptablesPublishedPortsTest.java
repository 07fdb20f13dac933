package io.javaoverlay.docker.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.firewall.Rule;
import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.docker.state.PortMapping;

/** The DNAT rules' text, in the form {@code iptables -S} / {@code ip6tables -S} print (checked against ip6tables 1.8.9). */
class IptablesPublishedPortsTest {

    @Test
    void theIpv6RuleIsTheIpv4OneWithTheContainersIpv6AddressInBrackets() {
        PortMapping m = new PortMapping(PortMapping.Protocol.TCP, null, 8080, 80);
        assertThat(IptablesPublishedPorts.dnatRule(Ip4.parse("10.5.72.2"), m, "javaoverlay endpoint 0123456789ab").toSaveFormat())
                .isEqualTo("-A JAVAOVERLAY-DNAT -p tcp -m tcp --dport 8080 -m comment --comment \"javaoverlay endpoint 0123456789ab\""
                        + " -j DNAT --to-destination 10.5.72.2:80");
        assertThat(IptablesPublishedPorts.dnatRule6(Ip6Host.parse("fc00:5:0:34::2/64"), m, "javaoverlay endpoint 0123456789ab")
                .toSaveFormat()).isEqualTo("-A JAVAOVERLAY-DNAT -p tcp -m tcp --dport 8080 -m comment --comment"
                        + " \"javaoverlay endpoint 0123456789ab\" -j DNAT --to-destination [fc00:5:0:34::2]:80");
        PortMapping udp = new PortMapping(PortMapping.Protocol.UDP, null, 5353, 53);
        assertThat(IptablesPublishedPorts.dnatRule6(Ip6Host.parse("fc00:5:0:34::2/64"), udp, "o").toSaveFormat())
                .isEqualTo("-A JAVAOVERLAY-DNAT -p udp -m udp --dport 5353 -m comment --comment o -j DNAT --to-destination [fc00:5:0:34::2]:53");
    }

    @Test
    void aPortOnOneIpv4AddressHasNoIpv6Rule() {
        PortMapping m = new PortMapping(PortMapping.Protocol.TCP, Ip4.parse("10.0.0.1"), 8080, 80);
        assertThatThrownBy(() -> IptablesPublishedPorts.dnatRule6(Ip6Host.parse("fc00:5:0:34::2/64"), m, "o"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10.0.0.1:8080");
    }

    @Test
    void aPortOnOneIpv6AddressMatchesThatDestinationOnlyAndHasNoIpv4Rule() {
        PortMapping one = PortMapping.on6(PortMapping.Protocol.TCP, Ip6Host.parse("fd00:e2e::1/128"), 8081, 80);
        assertThat(IptablesPublishedPorts.dnatRule6(Ip6Host.parse("fc00:5:0:34::2/64"), one, "o").toSaveFormat())
                .isEqualTo("-A JAVAOVERLAY-DNAT -d fd00:e2e::1/128 -p tcp -m tcp --dport 8081 -m comment --comment o"
                        + " -j DNAT --to-destination [fc00:5:0:34::2]:80");
        PortMapping any6 = PortMapping.on6(PortMapping.Protocol.UDP, PortMapping.ANY6, 5353, 53);
        assertThat(IptablesPublishedPorts.dnatRule6(Ip6Host.parse("fc00:5:0:34::2/64"), any6, "o").toSaveFormat())
                .isEqualTo("-A JAVAOVERLAY-DNAT -p udp -m udp --dport 5353 -m comment --comment o"
                        + " -j DNAT --to-destination [fc00:5:0:34::2]:53");
        assertThatThrownBy(() -> IptablesPublishedPorts.dnatRule(Ip4.parse("10.5.72.2"), one, "o"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not published on IPv4");
        // ::1 takes the relay: no DNAT can reach it
        PortMapping loopback = PortMapping.on6(PortMapping.Protocol.TCP, PortMapping.LOOPBACK6, 8082, 80);
        assertThatThrownBy(() -> IptablesPublishedPorts.dnatRule6(Ip6Host.parse("fc00:5:0:34::2/64"), loopback, "o"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theIpv6JumpsLeaveOutLoopbackFromTheHostItself() {
        assertThat(IptablesPublishedPorts.dnatJumps6()).extracting(Rule::toSaveFormat).containsExactly(
                "-A PREROUTING -m addrtype --dst-type LOCAL -m comment --comment \"javaoverlay published ports\" -j JAVAOVERLAY-DNAT",
                "-A OUTPUT ! -d ::1/128 -m addrtype --dst-type LOCAL -m comment --comment \"javaoverlay published ports\" -j JAVAOVERLAY-DNAT");
    }
}
