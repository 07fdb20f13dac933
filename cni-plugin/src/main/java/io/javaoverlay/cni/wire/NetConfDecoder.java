package io.javaoverlay.cni.wire;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

import io.javaoverlay.cni.CniException;
import io.javaoverlay.cni.CniVersion;
import io.javaoverlay.cni.ErrorCode;
import io.javaoverlay.cni.model.Attachment;
import io.javaoverlay.cni.model.Dns;
import io.javaoverlay.cni.model.NetConf;
import io.javaoverlay.cni.model.Result;

/**
 * The request configuration on stdin to a {@link NetConf}. Unknown keys are tolerated (the
 * runtime passes through whatever the administrator wrote); known keys of the wrong type are
 * {@link ErrorCode#INVALID_CONFIG} errors that name the key.
 */
public final class NetConfDecoder {

    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65535;

    private NetConfDecoder() {}

    /**
     * The requested spec version: a missing one is 0.1.0, as libcni and the reference plugins read
     * it; an unknown one is {@link ErrorCode#INCOMPATIBLE_VERSION}.
     */
    public static CniVersion version(Map<String, Object> conf) {
        Object v = conf.get("cniVersion");
        if (v == null) {
            return CniVersion.V0_1_0;
        }
        if (!(v instanceof String text)) {
            throw new CniException(ErrorCode.DECODING_FAILURE, "cniVersion must be a string",
                    "cniVersion is " + Fields.describe(v));
        }
        return CniVersion.parse(text).orElseThrow(() -> new CniException(ErrorCode.INCOMPATIBLE_VERSION,
                "incompatible CNI versions", "config is " + text + ", this plugin supports " + CniVersion.supported()));
    }

    public static NetConf decode(Map<String, Object> tree) {
        CniVersion version = version(tree);
        Fields conf = new Fields(tree, "", ErrorCode.INVALID_CONFIG);
        String name = conf.requiredString("name");
        checkName(name);
        String bridge = conf.string("bridge").orElse(NetConf.DEFAULT_BRIDGE);
        checkBridge(bridge);
        OptionalInt mtu = conf.integer("mtu");
        if (mtu.isPresent() && (mtu.getAsInt() < MIN_MTU || mtu.getAsInt() > MAX_MTU)) {
            throw new CniException(ErrorCode.INVALID_CONFIG, "\"mtu\" out of range",
                    "\"mtu\" must be " + MIN_MTU + "-" + MAX_MTU + ", got " + mtu.getAsInt());
        }
        Optional<Result> prev = Optional.ofNullable(tree.get("prevResult")).map(ResultCodec::decode);
        return new NetConf(version, name, conf.string("type").orElse(""),
                path(conf, "subnetFile", NetConf.DEFAULT_SUBNET_FILE),
                path(conf, "dataDir", NetConf.DEFAULT_DATA_DIR),
                bridge, mtu, conf.bool("ipMasq"),
                conf.bool("hairpinMode").orElse(true),
                conf.bool("isDefaultGateway").orElse(true),
                conf.object("dns").map(NetConfDecoder::dns).orElse(Dns.EMPTY),
                prev, requestedIps(conf), validAttachments(conf));
    }

    private static Path path(Fields conf, String key, Path fallback) {
        Optional<String> v = conf.string(key);
        if (v.isPresent() && v.get().isBlank()) {
            throw new CniException(ErrorCode.INVALID_CONFIG, "\"" + key + "\" is empty",
                    "leave \"" + key + "\" out for the default " + fallback + ", or give a path");
        }
        return v.map(Path::of).orElse(fallback);
    }

    static Dns dns(Fields dns) {
        return new Dns(dns.strings("nameservers"), dns.string("domain"), dns.strings("search"), dns.strings("options"));
    }

    /**
     * The longest network name: its IPAM owner ({@code cni/<name>}) is kept in files whose
     * fields hold at most 1024 characters. Real names are short; the spec sets no limit.
     */
    static final int MAX_NAME = 1000;

    /** The spec's rule for network names, which also keeps them usable in file paths. */
    private static void checkName(String name) {
        if (name.length() > MAX_NAME) {
            throw new CniException(ErrorCode.INVALID_CONFIG, "network name too long",
                    "\"name\" is " + name.length() + " characters long; this plugin takes at most " + MAX_NAME);
        }
        boolean ok = Character.isLetterOrDigit(name.charAt(0)) && name.charAt(0) < 0x80;
        for (int i = 1; ok && i < name.length(); i++) {
            char c = name.charAt(i);
            ok = c < 0x80 && (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-');
        }
        if (!ok) {
            throw new CniException(ErrorCode.INVALID_CONFIG, "invalid characters in network name",
                    "\"name\" \"" + name + "\" must start with a letter or digit followed by letters, digits, '_', '.' or '-'");
        }
    }

    private static void checkBridge(String bridge) {
        // the kernel's limit (IFNAMSIZ - 1) counts bytes of UTF-8, not characters
        int bytes = bridge.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        boolean ok = !bridge.isEmpty() && bytes <= 15 && !bridge.equals(".") && !bridge.equals("..");
        for (int i = 0; ok && i < bridge.length(); i++) {
            char c = bridge.charAt(i);
            ok = c > 0x20 && c != '/' && c != ':' && c != 0x7f && !Character.isWhitespace(c);
        }
        if (!ok) {
            throw new CniException(ErrorCode.INVALID_CONFIG, "invalid bridge name",
                    "\"bridge\" \"" + bridge + "\" is not a Linux interface name (1-15 bytes in UTF-8, no '/', ':' or whitespace)");
        }
    }

    /**
     * Addresses asked for by the runtime: the {@code ips} capability in {@code runtimeConfig}
     * and the {@code args.cni.ips} convention. Either CIDR or bare addresses.
     */
    private static List<String> requestedIps(Fields conf) {
        List<String> ips = new ArrayList<>();
        conf.object("runtimeConfig").ifPresent(rc -> ips.addAll(rc.strings("ips")));
        conf.object("args").flatMap(a -> a.object("cni")).ifPresent(cni -> ips.addAll(cni.strings("ips")));
        return ips;
    }

    private static Optional<List<Attachment>> validAttachments(Fields conf) {
        if (!conf.has("cni.dev/valid-attachments")) {
            return Optional.empty();
        }
        List<Attachment> out = new ArrayList<>();
        for (Object o : conf.list("cni.dev/valid-attachments")) {
            Fields a = Fields.of(o, "cni.dev/valid-attachments[]", ErrorCode.INVALID_CONFIG);
            out.add(new Attachment(a.requiredString("containerID"), a.requiredString("ifname")));
        }
        return Optional.of(out);
    }
}
