package io.javaoverlay.docker.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class BlankHostEndPointTest {

    private static String mended(String text, int from) {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
        BlankHostEndPoint.mend(b, from);
        return StandardCharsets.US_ASCII.decode(b).toString();
    }

    @Test
    void aBlankHostGetsAValueOfTheSameLength() {
        String req = "POST /Plugin.Activate HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n";
        assertThat(mended(req, 0)).isEqualTo("POST /Plugin.Activate HTTP/1.1\r\nHost:d\r\nContent-Length: 0\r\n\r\n");
    }

    @Test
    void anythingElseIsLeftAlone() {
        String named = "POST / HTTP/1.1\r\nHost: plugin\r\n\r\n{\"Host: \":1}";
        assertThat(mended(named, 0)).isEqualTo(named);
        String before = "POST / HTTP/1.1\r\nHost: \r\n\r\n";
        assertThat(mended(before, 20)).as("only the newly read bytes are looked at").isEqualTo(before);
    }
}
