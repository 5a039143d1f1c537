package com.example.keywordalert;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.sink.TranscriptSink;
import dev.earshot.spi.sink.TranscriptSinkFactory;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Provides the sink type {@code keyword-alert}: every final transcript that contains one of the configured keywords
 * becomes one line in an alert file.
 *
 * <pre>
 * earshot.sinks.alerts.type=keyword-alert
 * earshot.sinks.alerts.keywords=fire,help
 * earshot.sinks.alerts.path=alerts.log          # relative to the gateway's home; default: the sink's data folder
 * earshot.pipelines.kitchen.sinks=log,alerts
 * </pre>
 */
public final class KeywordAlertPlugin implements Plugin {

    @Override
    public String name() {
        return "keyword-alert";
    }

    @Override
    public Iterable<TranscriptSinkFactory> sinkFactories() {
        return List.of(new TranscriptSinkFactory() {
            @Override
            public String name() {
                return "keyword-alert";
            }

            @Override
            public TranscriptSink create(PluginContext context) {
                String keywords = context.config().require("keywords", "comma-separated words to alert on, e.g. fire,help");
                List<String> words = Arrays.stream(keywords.split(","))
                        .map(w -> w.trim().toLowerCase(Locale.ROOT)).filter(w -> !w.isEmpty()).toList();
                if (words.isEmpty()) {
                    throw context.config().invalid("keywords", keywords, "at least one word");
                }
                Path file = context.config().get("path").map(context::resolvePath)
                        .orElseGet(() -> context.dataDirectory().resolve("alerts.log"));
                return new KeywordAlertSink(context.instanceName(), words, file, context.logger());
            }
        });
    }
}
