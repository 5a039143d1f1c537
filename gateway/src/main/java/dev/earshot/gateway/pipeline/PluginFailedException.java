package dev.earshot.gateway.pipeline;

/** A pipeline cannot start because a plugin it uses failed in its start or stop hook; the message names both. */
final class PluginFailedException extends RuntimeException {
    PluginFailedException(String message) {
        super(message);
    }
}
