package dev.earshot.spi.engine;

import java.util.List;
import java.util.Locale;

import static java.util.Objects.requireNonNull;

/**
 * What an engine's model is, as clients that list models show it (Wyoming's {@code info}, for example): its name, a
 * one-line description, who made it, and the languages it speaks.
 *
 * @param name            the model's name, e.g. {@code vosk-model-small-en-us-0.15}
 * @param description     one line about it; may be empty
 * @param attribution     who made it, e.g. {@code Alpha Cephei Inc}
 * @param attributionUrl  where it comes from; may be empty
 * @param version         its version; may be empty
 * @param languages       the languages it speaks as BCP 47 tags ({@code en}, {@code en-US}); empty when unknown
 */
public record ModelInfo(String name, String description, String attribution, String attributionUrl, String version,
                        List<String> languages) {

    public ModelInfo {
        requireNonNull(name, "name is null");
        description = description == null ? "" : description;
        attribution = attribution == null ? "" : attribution;
        attributionUrl = attributionUrl == null ? "" : attributionUrl;
        version = version == null ? "" : version;
        languages = List.copyOf(requireNonNull(languages, "languages is null"));
    }

    /**
     * Whether the model speaks {@code language}: its primary subtag ({@code en} of {@code en-GB}) matches the primary
     * subtag of one of the model's languages, ignoring case. A model with no languages listed speaks anything asked.
     */
    public boolean speaks(String language) {
        if (languages.isEmpty()) {
            return true;
        }
        String wanted = primary(language);
        return languages.stream().anyMatch(l -> primary(l).equals(wanted));
    }

    private static String primary(String tag) {
        String trimmed = tag.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        int dash = trimmed.indexOf('-');
        return dash < 0 ? trimmed : trimmed.substring(0, dash);
    }
}
