package io.javaoverlay.core.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Interface addresses against the real kernel, checked through the API and {@code ip -j addr}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AddressesIT {

    @RegisterExtension
    static final NamespaceFixture host = new NamespaceFixture("addrs");

    /** "local/prefixlen" of every address of the device, as iproute2 shows them. */
    private static List<String> oracle(String dev) {
        List<String> out = new ArrayList<>();
        for (JsonNode a : host.ns().ipJson("addr", "show", "dev", dev).get(0).get("addr_info")) {
            out.add(a.get("local").asText() + "/" + a.get("prefixlen").asInt());
        }
        return out;
    }

    @Test
    void ip4AddAppearsWithBroadcastAndDeleteRemovesIt() {
        Link br = host.nl().links().createBridge("br-a4");
        Address a = Address.ip4(br.index(), Ip4Net.parseHost("10.20.30.1/24"));

        host.nl().addresses().add(a);

        assertThat(host.nl().addresses().list(br)).singleElement().matches(a::matches);
        assertThat(host.nl().addresses().list(2)).anyMatch(a::matches);
        assertThat(oracle("br-a4")).contains("10.20.30.1/24");
        JsonNode info = host.ns().ipJson("-4", "addr", "show", "dev", "br-a4").get(0).get("addr_info").get(0);
        assertThat(info.get("broadcast").asText()).isEqualTo("10.20.30.255");
        assertThat(info.get("scope").asText()).isEqualTo("global");
        assertThat(host.nl().addresses().list(br).get(0).ip4()).isEqualTo(Ip4Net.parseHost("10.20.30.1/24"));

        host.nl().addresses().delete(a);
        assertThat(host.nl().addresses().list(br)).noneMatch(a::matches);
        assertThat(oracle("br-a4")).doesNotContain("10.20.30.1/24");
    }

    @Test
    void duplicateAddIsExistsAndReplaceIsIdempotent() {
        Link br = host.nl().links().createBridge("br-dup");
        Address a = Address.ip4(br.index(), Ip4.parse("10.20.31.1"), 24);
        host.nl().addresses().add(a);

        assertThatThrownBy(() -> host.nl().addresses().add(a))
                .isInstanceOf(NetlinkException.Exists.class)
                .hasMessageStartingWith("RTM_NEWADDR failed: File exists (EEXIST)");
        host.nl().addresses().replace(a);
        host.nl().addresses().replace(a);

        assertThat(host.nl().addresses().list(br)).singleElement().matches(a::matches);
        assertThat(oracle("br-dup")).containsOnlyOnce("10.20.31.1/24");
    }

    @Test
    void secondAddressOnTheSameDevice() {
        Link br = host.nl().links().createBridge("br-two");
        host.nl().addresses().add(Address.ip4(br.index(), Ip4.parse("10.20.32.1"), 24));
        host.nl().addresses().add(Address.ip4(br.index(), Ip4.parse("10.20.33.1"), 32));

        assertThat(host.nl().addresses().list(br)).extracting(Address::ip4).extracting(Object::toString)
                .containsExactlyInAnyOrder("10.20.32.1/24", "10.20.33.1/32");
        assertThat(oracle("br-two")).containsExactlyInAnyOrder("10.20.32.1/24", "10.20.33.1/32");
    }

    @Test
    void ip6AddListDelete() throws Exception {
        Link br = host.nl().links().createBridge("br-a6");
        InetAddress ip = InetAddress.getByName("fd00:1::1");
        Address a = Address.of(br.index(), ip, 64).withFlags(Address.IFA_F_NODAD);

        host.nl().addresses().add(a);

        List<Address> v6 = host.nl().addresses().list(10).stream().filter(x -> x.linkIndex() == br.index()).toList();
        assertThat(v6).extracting(Address::address).contains(ip);
        assertThat(v6).filteredOn(x -> x.address().equals(ip))
                .singleElement().satisfies(x -> {
                    assertThat(x.prefixLength()).isEqualTo(64);
                    assertThat(x.isIp4()).isFalse();
                    assertThat(x.flags() & Address.IFA_F_NODAD).isNotZero();
                });
        assertThat(oracle("br-a6")).contains("fd00:1::1/64");

        host.nl().addresses().delete(a);
        assertThat(oracle("br-a6")).doesNotContain("fd00:1::1/64");
    }

    @Test
    void listOfAllAgreesWithIp() {
        Link br = host.nl().links().createBridge("br-all");
        host.nl().addresses().add(Address.ip4(br.index(), Ip4.parse("10.20.40.1"), 16));
        List<String> ours = host.nl().addresses().list(2).stream().map(a -> a.linkIndex() + " " + a.ip4()).sorted().toList();
        List<String> theirs = new ArrayList<>();
        for (JsonNode link : host.ns().ipJson("-4", "addr", "show")) {
            for (JsonNode a : link.get("addr_info")) {
                theirs.add(link.get("ifindex").asInt() + " " + a.get("local").asText() + "/" + a.get("prefixlen").asInt());
            }
        }
        assertThat(ours).isEqualTo(theirs.stream().sorted().toList());
    }
}
