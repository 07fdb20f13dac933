package io.javaoverlay.docker.server;

import java.nio.ByteBuffer;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.javaoverlay.docker.api.PluginMessages;

/**
 * Errors Jetty itself produces (a request that is not HTTP, a broken header) answered in the
 * plugin's JSON shape instead of Jetty's HTML page, and never with a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {

    private final ObjectMapper json;

    JsonErrorHandler(ObjectMapper json) {
        this.json = json;
        setShowStacks(false);
        setShowCauses(false);
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        byte[] body = encode(code, message);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, RpcHandler.CONTENT_TYPE);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, RpcHandler.CONTENT_TYPE);
        return ByteBuffer.wrap(encode(status, reason));
    }

    private byte[] encode(int code, String message) {
        String text = "HTTP " + code + " " + HttpStatus.getMessage(code) + (message == null ? "" : ": " + message);
        try {
            return json.writeValueAsBytes(new PluginMessages.DriverError(text));
        } catch (JsonProcessingException e) {
            return ("{\"Err\":\"HTTP " + code + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
