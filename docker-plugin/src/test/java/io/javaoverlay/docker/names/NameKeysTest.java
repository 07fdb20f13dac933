package io.javaoverlay.docker.names;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;

class NameKeysTest {

    private final NameKeys keys = new NameKeys("/coreos.com/network");
    private final Ip4Net lease = Ip4Net.parse("10.244.3.0/24");

    @Test
    void aNameKeyNamesTheHostsLeaseTheNameAndTheAddress() {
        NameKeys.Entry e = new NameKeys.Entry(lease, "web", Ip4.parse("10.244.3.2"));
        assertThat(keys.key(e)).isEqualTo("/coreos.com/network/names/10.244.3.0-24/web/10.244.3.2");
        assertThat(keys.parse(keys.key(e))).isEqualTo(e);
        assertThat(keys.hostPrefix(lease)).isEqualTo("/coreos.com/network/names/10.244.3.0-24/");
    }

    @Test
    void keysThatCannotBeTrustedAreRefusedWithTheReason() {
        String p = "/coreos.com/network/names/";
        assertThatThrownBy(() -> keys.parse(p + "10.244.3.0-24/web/10.244.4.2")).hasMessageContaining("outside the lease")
                .isInstanceOfSatisfying(NameKeys.BadKey.class, e -> assertThat(e.reason()).isEqualTo("outside-lease"));
        assertThatThrownBy(() -> keys.parse(p + "10.244.3.0-24/Web_1/10.244.3.2")).hasMessageContaining("not a DNS label");
        assertThatThrownBy(() -> keys.parse(p + "10.244.3.0-24/" + "a".repeat(64) + "/10.244.3.2"))
                .hasMessageContaining("not a DNS label");
        assertThatThrownBy(() -> keys.parse(p + "10.244.3.0-24/web")).hasMessageContaining("expected");
        assertThatThrownBy(() -> keys.parse(p + "10.244.3.0-24/web/10.244.3.2/x")).hasMessageContaining("expected");
        assertThatThrownBy(() -> keys.parse(p + "nonsense/web/10.244.3.2")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> keys.parse(p + "10.244.3.0-24/web/10.244.3.999")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> keys.parse("/other/names/10.244.3.0-24/web/10.244.3.2")).hasMessageContaining("not under");
    }

    @Test
    void dockerNamesBecomeLowerCaseLabelsOrNothing() {
        assertThat(NameKeys.label("/Web")).contains("web");
        assertThat(NameKeys.label("db-1")).contains("db-1");
        assertThat(NameKeys.label("3f2a9c1b7d4e")).contains("3f2a9c1b7d4e");
        assertThat(NameKeys.label("my_app")).isEmpty();
        assertThat(NameKeys.label("a.b")).isEmpty();
        assertThat(NameKeys.label("-x")).isEmpty();
        assertThat(NameKeys.label("")).isEmpty();
    }
}
