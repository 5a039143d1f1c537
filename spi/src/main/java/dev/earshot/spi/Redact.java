package dev.earshot.spi;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Keeps secrets out of logs, error messages and API answers. A URL is shown as {@code scheme://host:port/path}: its
 * user-info ({@code user:password@}), query string and fragment, where tokens and keys usually travel, are left out.
 * Plugins build every message that names a configured address with {@link #url}; the host passes what plugins say
 * through {@link #urlsIn} before it logs or shows it.
 */
public final class Redact {

    /** scheme://[user-info@]authority[path][?query][#fragment] inside free text. */
    private static final Pattern URL = Pattern.compile(
            "\\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^\\s/?#]*@)?([^\\s/?#@]*)([^\\s?#]*)(\\?[^\\s#]*)?(#\\S*)?");

    private Redact() {
    }

    /**
     * {@code url} without user-info, query or fragment: {@code https://user:pw@example.org:8443/hook?key=k} becomes
     * {@code https://example.org:8443/hook}. Text that is not a URL with a scheme and host is cut to what follows its
     * last {@code @} and precedes its first {@code ?}, so a malformed value in an error message leaks nothing either.
     * Null stays null.
     */
    public static String url(String url) {
        if (url == null) {
            return null;
        }
        String text = url.strip();
        try {
            URI uri = new URI(text);
            if (uri.getScheme() != null && uri.getHost() != null) {
                return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "")
                        + (uri.getRawPath() == null ? "" : uri.getRawPath());
            }
        } catch (URISyntaxException e) {
            // not a URL: cut below
        }
        String cut = urlsIn(text);
        int at = cut.lastIndexOf('@');
        if (at >= 0) {
            int scheme = cut.indexOf("://");
            cut = (scheme >= 0 && scheme < at ? cut.substring(0, scheme + 3) : "") + cut.substring(at + 1);
        }
        int query = cut.indexOf('?');
        return query >= 0 ? cut.substring(0, query) : cut;
    }

    /** {@code text} with every URL in it shown as {@link #url} shows it. Null stays null. */
    public static String urlsIn(String text) {
        if (text == null || !text.contains("://")) {
            return text;
        }
        Matcher matcher = URL.matcher(text);
        StringBuilder out = new StringBuilder(text.length());
        while (matcher.find()) {
            matcher.appendReplacement(out, Matcher.quoteReplacement(matcher.group(1) + matcher.group(3) + matcher.group(4)));
        }
        matcher.appendTail(out);
        return out.toString();
    }
}
