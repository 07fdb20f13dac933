package io.javaoverlay.core.firewall;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Runs the {@code nft} command: the one place that does. Reading goes through {@code nft -j}
 * (JSON, a stable schema, unlike the text listing); every change is one script fed to
 * {@code nft -f -}, which the kernel applies as one transaction, so a chain is never seen
 * half-written (flannel's knftables does the same).
 *
 * <p>{@code commandPrefix} lets tests run the same code against a namespace they made
 * ({@code ip netns exec NAME}); the agent runs inside its host's namespace and uses none.
 */
public final class Nft {

    private static final Logger LOG = LoggerFactory.getLogger(Nft.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> commandPrefix;

    public Nft(List<String> commandPrefix) {
        this.commandPrefix = List.copyOf(commandPrefix);
    }

    /** nft in the caller's own network namespace. */
    public static Nft local() {
        return new Nft(List.of());
    }

    /** {@code nft --version}, e.g. {@code nftables v1.0.6 (Lester Gooch #5)}. */
    public String version() {
        return run(List.of("--version"), null).stdout().strip();
    }

    /** Applies {@code script} ({@code nft -f -}) as one transaction: all of it or none. */
    public void apply(String script) {
        LOG.debug("nft -f - <<\n{}", script);
        run(List.of("-f", "-"), script);
    }

    /**
     * Whether the kernel would take {@code script} ({@code nft --check -f -}): nothing is
     * changed. A refusal is an answer, not an error; only an nft that cannot run throws.
     */
    public boolean accepts(String script) {
        ToolProcess.Result r = exec(command(List.of("--check", "-f", "-")), script);
        LOG.debug("nft --check -> {} {}", r.status(), r.stderr().strip());
        return r.status() == 0;
    }

    /** The tables of the namespace as {@code family name} pairs, e.g. {@code ip flannel-ipv4}. */
    public List<String> tables() {
        List<String> names = new ArrayList<>();
        for (JsonNode o : objects(run(List.of("-j", "list", "tables"), null).stdout())) {
            JsonNode t = o.get("table");
            if (t != null) {
                names.add(t.path("family").asText() + " " + t.path("name").asText());
            }
        }
        return names;
    }

    /**
     * The objects of one table ({@code nft -j list table FAMILY NAME}): the table, its chains and
     * rules, each as nft's JSON object ({@code {"chain": {...}}}, {@code {"rule": {...}}}); empty
     * when the table does not exist.
     */
    public Optional<List<JsonNode>> listTable(String family, String table) {
        if (!tables().contains(family + " " + table)) {
            return Optional.empty();
        }
        return Optional.of(objects(run(List.of("-j", "list", "table", family, table), null).stdout()));
    }

    private static List<JsonNode> objects(String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<JsonNode> list = new ArrayList<>();
            root.path("nftables").forEach(list::add);
            return list;
        } catch (JsonProcessingException e) {
            throw new NftablesException("nft -j", 0, "printed something that is not JSON: " + e.getOriginalMessage());
        }
    }

    private List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(commandPrefix);
        cmd.add("nft");
        cmd.addAll(args);
        return cmd;
    }

    private ToolProcess.Result run(List<String> args, String stdin) {
        List<String> cmd = command(args);
        ToolProcess.Result r = exec(cmd, stdin);
        if (r.status() != 0) {
            throw new NftablesException(String.join(" ", cmd), r.status(), r.stderr());
        }
        return r;
    }

    private static ToolProcess.Result exec(List<String> cmd, String stdin) {
        try {
            return ToolProcess.run(cmd, stdin);
        } catch (IOException e) {
            throw new NftablesException(String.join(" ", cmd), e);
        }
    }

}
