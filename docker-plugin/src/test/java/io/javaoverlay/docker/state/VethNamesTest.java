package io.javaoverlay.docker.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class VethNamesTest {

    static final String A = "0123456789ab" + "c".repeat(52);
    static final String B = "0123456789ab" + "d".repeat(52);

    @Test
    void idsThatShareTheirFirst12CharactersGetDifferentNames() {
        VethNames a = VethNames.forEndpoint(A);
        VethNames b = VethNames.forEndpoint(B);
        assertThat(a.host()).isNotEqualTo(b.host());
        assertThat(a.container()).isNotEqualTo(b.container());
        assertThat(a.clashesWith(b)).isFalse();
        // what plugins before this one did: the same names, so one join took the other's veth
        assertThat(VethNames.legacy(A).clashesWith(VethNames.legacy(B))).isTrue();
    }

    @Test
    void namesFitTheKernelsLimitAndAreStable() {
        VethNames a = VethNames.forEndpoint(A);
        assertThat(a.host()).startsWith("vjo").matches("vjo[0-9a-f]{12}");
        assertThat(a.container()).startsWith("tjo").matches("tjo[0-9a-f]{12}");
        assertThat(a.host().getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(15);
        assertThat(a.host().substring(3)).as("the same digest on both ends").isEqualTo(a.container().substring(3));
        assertThat(VethNames.forEndpoint(A)).as("the same names after a restart").isEqualTo(a);
        assertThat(VethNames.forEndpoint("short")).isNotEqualTo(VethNames.forEndpoint("short2"));
    }

    @Test
    void onlyOurOwnNamesLookOurs() {
        assertThat(VethNames.looksOurs(VethNames.forEndpoint(A).host())).isTrue();
        assertThat(VethNames.looksOurs(VethNames.legacy(A).container())).isTrue();
        assertThat(VethNames.looksOurs("vjo")).isFalse();
        assertThat(VethNames.looksOurs("veth1234")).isFalse();
        assertThat(VethNames.looksOurs("cni0")).isFalse();
    }

    @Test
    void hostileIdsAndNamesAreRefused() {
        assertThatThrownBy(() -> VethNames.forEndpoint("../../x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VethNames("eth0", "tjo1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VethNames("vjo1", "tjo0123456789abc")).as("16 bytes").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new VethNames("vjo1\n", "tjo1")).isInstanceOf(IllegalArgumentException.class);
    }
}
