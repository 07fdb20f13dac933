package io.javaoverlay.docker.state;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.FromStringDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import io.javaoverlay.core.net.Ip4;
import io.javaoverlay.core.net.Ip4Net;
import io.javaoverlay.core.net.Ip6Host;
import io.javaoverlay.core.net.Ip6Net;
import io.javaoverlay.core.net.MacAddress;

/** JSON for the state files: addresses in their text form, so an operator can read the files. */
final class StateJson {

    private StateJson() {}

    static ObjectMapper mapper() {
        SimpleModule values = new SimpleModule("javaoverlay-values");
        text(values, Ip4.class, Ip4::parse);
        text(values, Ip4Net.class, Ip4Net::parse);
        text(values, Ip4Net.HostAddress.class, Ip4Net::parseHost);
        text(values, MacAddress.class, MacAddress::parse);
        text(values, Ip6Host.class, Ip6Host::parse);
        text(values, Ip6Net.class, Ip6Net::parse);
        return JsonMapper.builder()
                .addModule(values)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    private static <T> void text(SimpleModule module, Class<T> type, java.util.function.Function<String, T> parse) {
        module.addSerializer(type, new StdSerializer<T>(type) {
            private static final long serialVersionUID = 1L;

            @Override
            public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(value.toString());
            }
        });
        module.addDeserializer(type, new FromStringDeserializer<T>(type) {
            private static final long serialVersionUID = 1L;

            @Override
            protected T _deserialize(String value, DeserializationContext ctxt) {
                return parse.apply(value);
            }
        });
    }
}
