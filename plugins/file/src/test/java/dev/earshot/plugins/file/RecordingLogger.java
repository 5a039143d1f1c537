package dev.earshot.plugins.file;

import java.text.MessageFormat;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every record for assertions and passes it on to a real logger. */
final class RecordingLogger implements System.Logger {

    record Entry(Level level, String message, Throwable thrown) {
    }

    private final System.Logger delegate;
    private final List<Entry> entries = new CopyOnWriteArrayList<>();

    RecordingLogger(System.Logger delegate) {
        this.delegate = delegate;
    }

    List<Entry> entries() {
        return entries;
    }

    List<Entry> entries(Level level) {
        return entries.stream().filter(e -> e.level() == level).toList();
    }

    @Override
    public String getName() {
        return delegate.getName();
    }

    @Override
    public boolean isLoggable(Level level) {
        return true;
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String message, Throwable thrown) {
        entries.add(new Entry(level, message, thrown));
        delegate.log(level, bundle, message, thrown);
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        String message = params == null || params.length == 0 ? format : MessageFormat.format(format, params);
        entries.add(new Entry(level, message, null));
        delegate.log(level, bundle, format, params);
    }
}
