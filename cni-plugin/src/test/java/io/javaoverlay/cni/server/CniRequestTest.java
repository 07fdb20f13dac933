package io.javaoverlay.cni.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

class CniRequestTest {

    private static CniRequest read(String wire) throws Exception {
        return CniRequest.read(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theLaunchersRequestWithoutContentLengthReadsTheBodyToTheEnd() throws Exception {
        CniRequest r = read("POST /cni HTTP/1.1\r\nHost: javaoverlay\r\nJO-Caller-Netns: net:[4026531833]\r\n"
                + "CNI-Command: ADD\r\nCNI-Containerid: abc\r\nCNI-Netns: /run/netns/x\r\nCNI-Ifname: eth0\r\n"
                + "CNI-Args: IP=10.5.1.9;K8S_POD_NAME=a\r\nCNI-Path: /opt/cni/bin\r\n\r\n{\"cniVersion\":\"1.0.0\"}\n");

        assertThat(r.method()).isEqualTo("POST");
        assertThat(r.target()).isEqualTo("/cni");
        assertThat(r.callerNetns()).isEqualTo("net:[4026531833]");
        assertThat(r.env()).isEqualTo(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "abc", "CNI_NETNS", "/run/netns/x",
                "CNI_IFNAME", "eth0", "CNI_ARGS", "IP=10.5.1.9;K8S_POD_NAME=a", "CNI_PATH", "/opt/cni/bin"));
        assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("{\"cniVersion\":\"1.0.0\"}\n");
    }

    @Test
    void curlsRequestWithContentLengthAndEmptyHeaders() throws Exception {
        CniRequest r = read("POST /cni HTTP/1.1\r\nContent-Length: 2\r\ncni-command: DEL\r\nCNI-Netns:\r\n\r\n{}trailing");

        assertThat(r.env()).containsEntry("CNI_COMMAND", "DEL").containsEntry("CNI_NETNS", "");
        assertThat(r.callerNetns()).isEmpty();
        assertThat(r.body()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aGetHasNoBodyAndDoesNotWaitForTheEndOfTheStream() throws Exception {
        assertThat(read("GET / HTTP/1.1\r\n\r\n").body()).isEmpty();
    }

    @Test
    void whatIsNotSuchARequestIsRefused() {
        assertThatThrownBy(() -> read("hello\r\n\r\n")).isInstanceOf(CniRequest.BadRequest.class);
        assertThatThrownBy(() -> read("POST /cni HTTP/1.1\r\nno colon\r\n\r\n")).isInstanceOf(CniRequest.BadRequest.class);
        assertThatThrownBy(() -> read("POST /cni HTTP/1.1\r\nContent-Length: 10\r\n\r\n{}"))
                .isInstanceOf(CniRequest.BadRequest.class).hasMessageContaining("shorter");
        assertThatThrownBy(() -> read("POST /cni HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"))
                .isInstanceOf(CniRequest.BadRequest.class);
        assertThatThrownBy(() -> read("")).isInstanceOf(CniRequest.BadRequest.class);
    }
}
