package io.javaoverlay.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4Net;

class UnderlayTopologyTest {

    @RepeatedTest(200)
    void aRandomUnderlayIsAPrivateSlash24ClearOfTheUsualOverlays() {
        Ip4Net s = UnderlayTopology.randomSubnet();
        assertThat(s.prefixLength()).isEqualTo(24);
        String[] octets = s.address().toString().split("\\.");
        assertThat(octets[0]).isEqualTo("10");
        assertThat(Integer.parseInt(octets[1])).as("%s lies in 10.200.0.0-10.254.255.0", s).isBetween(200, 254);
        assertThat(Ip4Net.parse("10.244.0.0/16").contains(s.address())).as("%s inside 10.244.0.0/16", s).isFalse();
    }

    @Test
    void prefixesAreShortTagsWithSixHexDigits() {
        assertThat(Namespaces.randomPrefix("jo")).matches("jo-[0-9a-f]{6}");
        assertThat(new Namespaces("jod-00ff12").name("h1")).isEqualTo("jod-00ff12-h1");
        assertThatThrownBy(() -> new Namespaces("jo")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Namespaces("jo-12345g")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Namespaces("../x-123456")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aTopologyIsOneSlash24WithAtMost200Hosts() {
        Namespaces ns = new Namespaces("jo-000000");
        assertThatThrownBy(() -> UnderlayTopology.create(ns, Ip4Net.parse("10.200.0.0/16"), 2)).hasMessageContaining("/24");
        assertThatThrownBy(() -> UnderlayTopology.create(ns, Ip4Net.parse("10.200.0.0/24"), 0)).hasMessageContaining("1-200");
        assertThat(ns.created()).as("nothing made for a refused topology").isEmpty();
    }
}
