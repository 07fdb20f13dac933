package io.javaoverlay.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.javaoverlay.core.lease.LeaseAttrs;

/** Broken network configs as people break them by hand: the error says where, in words, without Jackson's internals. */
class JsonErrorsTest {

    /** the config text, fragments the message must hold. */
    static Stream<Arguments> broken() {
        return Stream.of(
                // cut short (a truncated etcdctl put, a half-written file)
                Arguments.of("{\"Network\": \"10.5.0.0/16\"", new String[] {"at line 1, column 26",
                        "the text ends before the object opened at line 1, column 1 is closed with }", "cut short"}),
                Arguments.of("{\"Network\": \"10.5.0.0/16\",\n \"Backend\": {\"Type\": \"vxlan\"}\n", new String[] {"at line 3, column 1",
                        "object opened at line 1, column 1 is closed with }"}),
                Arguments.of("{\"Network\": \"10.5", new String[] {"at line 1, column 18", "ends inside a string"}),
                Arguments.of("{\"Network\": \"10.5.0.0/16\", \"SubnetMin\": [1,2", new String[] {"array opened at line 1, column 41",
                        "closed with ]"}),
                // hand-editing slips
                Arguments.of("{\"Network\": \"10.5.0.0/16\",}", new String[] {"at line 1, column 27", "no comma after the last entry"}),
                Arguments.of("{'Network': '10.5.0.0/16'}", new String[] {"at line 1, column 2", "double quotes"}),
                Arguments.of("{Network: \"10.5.0.0/16\"}", new String[] {"at line 1, column 2", "keys take double quotes"}),
                Arguments.of("{\"Network\": 10.5.0.0/16}", new String[] {"at line 1, column 17", "comma to separate"}),
                Arguments.of("{\"Network\":\"10.5.0.0/16\",\n  \"Backend\": {\"Type\": \"vxlan\"]}",
                        new String[] {"at line 2, column 30", "for the object opened at line 2, column 14"}),
                // text after the config: Go's json.Unmarshal refuses it too
                Arguments.of("{\"Network\":\"10.5.0.0/16\"} {\"Network\":\"10.6.0.0/16\"}", new String[] {"at line 1, column 27",
                        "more text after the end"}),
                Arguments.of("{\"Network\":\"10.5.0.0/16\"}\n}\n", new String[] {"at line 2, column 1", "more text after the end"}));
    }

    @ParameterizedTest
    @MethodSource("broken")
    void saysWhereAndWhatInWords(String json, String[] fragments) {
        assertThatThrownBy(() -> NetworkConfig.parse(json)).isInstanceOf(NetworkConfigException.class)
                .hasMessageContaining("not valid JSON")
                .hasMessageContainingAll(fragments)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Source", "REDACTED", "StreamReadFeature", "(code ", "DeserializationFeature", "com.fasterxml"));
    }

    @Test
    void aBrokenLeaseValueIsDescribedTheSameWay() {
        assertThatThrownBy(() -> LeaseAttrs.parse("{\"PublicIP\":\"192.0.2.1\""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at line 1, column 24")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("Source", "REDACTED"));
    }
}
