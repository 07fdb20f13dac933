package io.javaoverlay.cni.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class IptablesMasqueradeTest {

    @Test
    void theCommentNamesTheNetworkWithinIptablesLimit() {
        assertThat(IptablesMasquerade.comment("podnet")).isEqualTo("javaoverlay cni podnet");
        String longest = "n".repeat(1000);
        String comment = IptablesMasquerade.comment(longest);
        // xt_comment: 256 bytes with the terminating NUL
        assertThat(comment.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(255);
        assertThat(comment).startsWith("javaoverlay cni nnnn").isEqualTo(IptablesMasquerade.comment(longest));
        assertThat(IptablesMasquerade.chainName(longest)).hasSizeLessThanOrEqualTo(28);
    }
}
