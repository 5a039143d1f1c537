package dev.earshot.plugins.vosk;

import dev.earshot.spi.engine.ModelInfo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Vosk model folder says about its model: its name (the folder's), the first line of its {@code README} as the
 * description, the maker from the README's {@code Copyright <year> <maker>} line, and its language from the folder's
 * name ({@code en-us}, {@code vosk-model-small-de-0.15}) unless the engine's {@code languages} option names them.
 */
final class VoskModelFolder {

    static final String MODELS_URL = "https://alphacephei.com/vosk/models";
    private static final Pattern COPYRIGHT = Pattern.compile("(?i)^\\s*copyright\\s+(?:\\(c\\)\\s*)?\\d{4}(?:-\\d{4})?\\s+(.+?)\\s*$");
    private static final Pattern LANGUAGE = Pattern.compile("^vosk-model-(?:small-)?([a-z]{2,3})(?:-.*)?$|^([a-z]{2,3})(?:-[a-z]{2})?$");

    private VoskModelFolder() {
    }

    /**
     * @param languages the {@code languages} option (comma-separated BCP 47 tags), or null to take it from the name
     */
    static ModelInfo describe(Path folder, String languages) {
        String name = folder.getFileName() == null ? folder.toString() : folder.getFileName().toString();
        String description = "";
        String maker = "Alpha Cephei Inc";
        Path readme = folder.resolve("README");
        if (Files.isRegularFile(readme)) {
            try {
                List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
                description = lines.stream().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse("");
                for (String line : lines) {
                    Matcher copyright = COPYRIGHT.matcher(line);
                    if (copyright.matches()) {
                        maker = copyright.group(1);
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                // A README that cannot be read leaves the defaults.
            }
        }
        List<String> tags = languages != null ? Arrays.stream(languages.split(",")).map(String::trim)
                .filter(t -> !t.isEmpty()).toList() : fromName(name);
        return new ModelInfo(name, description, maker, MODELS_URL, "", tags);
    }

    /**
     * The primary language of a model folder's name, as clients match it: {@code en-us} and
     * {@code vosk-model-en-us-0.22} give {@code en}, {@code vosk-model-small-de-0.15} gives {@code de}; any other
     * name gives nothing (set the {@code languages} option then).
     */
    static List<String> fromName(String name) {
        Matcher m = LANGUAGE.matcher(name.toLowerCase(Locale.ROOT));
        return m.matches() ? List.of(m.group(1) != null ? m.group(1) : m.group(2)) : List.of();
    }
}
