package io.javaoverlay.cni;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ProcessEnvironmentTest {

    private static byte[] block(Object... entries) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (Object e : entries) {
            byte[] bytes = e instanceof byte[] raw ? raw : ((String) e).getBytes(StandardCharsets.UTF_8);
            b.writeBytes(bytes);
            b.write(0);
        }
        return b.toByteArray();
    }

    @Test
    void keepsTheCniVariablesAsTheirBytesSayInUtf8() {
        Map<String, String> env = ProcessEnvironment.parse(block("PATH=/usr/bin", "CNI_COMMAND=ADD",
                "CNI_IFNAME=eth-\u00e9", "CNI_ARGS=A=1;B=x=y", "CNI_NETNS=", "LANG=C"));

        assertThat(env).containsExactly(Map.entry("CNI_COMMAND", "ADD"), Map.entry("CNI_IFNAME", "eth-\u00e9"),
                Map.entry("CNI_ARGS", "A=1;B=x=y"), Map.entry("CNI_NETNS", ""));
    }

    @Test
    void aNewlineStaysInsideItsValueAndTheFirstOfTwoEntriesWins() {
        Map<String, String> env = ProcessEnvironment.parse(block("CNI_ARGS=IgnoreUnknown=1\nCNI_NETNS=/proc/1/ns/net",
                "CNI_COMMAND=DEL", "CNI_COMMAND=ADD"));

        assertThat(env).containsEntry("CNI_ARGS", "IgnoreUnknown=1\nCNI_NETNS=/proc/1/ns/net")
                .containsEntry("CNI_COMMAND", "DEL").doesNotContainKey("CNI_NETNS");
    }

    @Test
    void bytesThatAreNotUtf8BecomeTheReplacementCharacterWhichTheDispatcherRefuses() {
        byte[] latin1 = "CNI_IFNAME=eth\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        assertThat(ProcessEnvironment.parse(block(latin1)).get("CNI_IFNAME")).isEqualTo("eth\ufffd");
    }

    @Test
    void thisProcessHasNoCniVariablesUnderTest() {
        assertThat(ProcessEnvironment.ofThisProcess()).isEmpty();
    }
}
