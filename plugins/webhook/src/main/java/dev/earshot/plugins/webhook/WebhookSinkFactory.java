package dev.earshot.plugins.webhook;

import dev.earshot.spi.PluginConfig;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginException;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.Redact;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Creates {@code webhook} sinks. Options, under {@code earshot.sinks.<id>.}:
 * <ul>
 *   <li>{@code url} (required): {@code http://} or {@code https://} address that receives a POST per event</li>
 *   <li>{@code timeout}: time limit of one request, connecting included (10s)</li>
 *   <li>{@code secret-file}: file holding the HMAC-SHA256 key (leading and trailing white space ignored); when set,
 *       every request carries {@code X-Earshot-Signature: sha256=<hex of HMAC-SHA256(key, body)>}</li>
 *   <li>{@code headers.<Name>}: extra request headers, e.g. {@code headers.Authorization=Bearer abc}</li>
 *   <li>{@code partials}: also POST partial transcripts (false)</li>
 * </ul>
 * Retries, back-off and the on-disk spool are the host's ({@code retries}, {@code spool-size}, ...).
 */
public final class WebhookSinkFactory implements TranscriptSinkFactory {

    public static final String NAME = "webhook";
    private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "content-type", WebhookSink.SIGNATURE_HEADER.toLowerCase(Locale.ROOT), WebhookSink.ID_HEADER.toLowerCase(Locale.ROOT));

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<PluginOption> options() {
        return List.of(
                PluginOption.string("url", null, "The http:// or https:// address that receives a POST per event, e.g."
                        + " https://example.org/hooks/earshot; shown without user-info and query.").asRequired(),
                PluginOption.duration("timeout", "10s", "Time limit of one request, connecting included."),
                PluginOption.path("secret-file", null, "File holding the HMAC-SHA256 key (surrounding white space"
                        + " ignored); when set, every request carries X-Earshot-Signature: sha256=<hex of the HMAC of"
                        + " the body>."),
                PluginOption.map("headers", "Extra request headers, e.g. headers.Authorization=Bearer abc; values are"
                        + " never shown.").asSecret(),
                PluginOption.bool("partials", false, "Also POST partial transcripts."));
    }

    @Override
    public TranscriptSink create(PluginContext context) {
        requireNonNull(context, "context is null");
        PluginConfig config = context.config();
        String urlText = config.require("url", "the address that receives each transcript, e.g. https://example.org/hooks/earshot");
        URI url;
        try {
            url = new URI(urlText);
        } catch (URISyntaxException e) {
            throw config.invalid("url", Redact.url(urlText), "an http:// or https:// URL (" + e.getReason() + ")");
        }
        if (url.getScheme() == null || !Set.of("http", "https").contains(url.getScheme().toLowerCase(Locale.ROOT))
                || url.getHost() == null) {
            throw config.invalid("url", Redact.url(urlText), "an http:// or https:// URL with a host");
        }
        Duration timeout = config.getDuration("timeout", Duration.ofSeconds(10));
        if (timeout.toMillis() < 1) {
            throw config.invalid("timeout", config.getString("timeout", ""), "a positive duration such as 10s");
        }
        byte[] secret = config.get("secret-file").map(file -> readSecret(context, config, file)).orElse(null);
        boolean partials = config.getBoolean("partials", false);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String key : config.asMap().keySet()) {
            if (key.startsWith("headers.")) {
                String name = key.substring("headers.".length());
                if (name.isEmpty() || !name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+")
                        || RESTRICTED.contains(name.toLowerCase(Locale.ROOT))) {
                    throw new PluginException(config.key(key) + ": '" + name + "' cannot be set as a header"
                            + " (not a header name, or set by the sink itself)");
                }
                headers.put(name, config.get(key).orElse(""));
            }
        }
        return new WebhookSink(context.instanceName(), url, timeout, secret, headers, partials);
    }

    private static byte[] readSecret(PluginContext context, PluginConfig config, String file) {
        Path path = context.resolvePath(file);
        if (!Files.isRegularFile(path)) {
            throw new PluginException(config.key("secret-file") + ": file " + path + " does not exist; write the shared"
                    + " secret into it (the receiver checks X-Earshot-Signature with it) or remove the key");
        }
        try {
            String secret = Files.readString(path, StandardCharsets.UTF_8).strip();
            if (secret.isEmpty()) {
                throw new PluginException(config.key("secret-file") + ": file " + path + " is empty; write the shared secret into it");
            }
            return secret.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PluginException(config.key("secret-file") + ": cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
