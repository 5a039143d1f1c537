package dev.earshot.gateway.settings;

import java.util.List;

/** Configuration the gateway cannot run with; the message lists every problem, each naming its key and the fix. */
public final class GatewayConfigException extends RuntimeException {

    private final List<String> problems;

    public GatewayConfigException(List<String> problems) {
        super(problems.size() == 1 ? "invalid configuration: " + problems.get(0)
                : "invalid configuration:\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
