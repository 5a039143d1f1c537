package dev.earshot.gateway.plugin;

/** A pipeline cannot start because a plugin it uses failed in its start or stop hook; the message names both. */
public final class PluginFailedException extends RuntimeException {
    public PluginFailedException(String message) {
        super(message);
    }
}
