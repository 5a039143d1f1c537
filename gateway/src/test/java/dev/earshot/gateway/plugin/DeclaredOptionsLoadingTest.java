package dev.earshot.gateway.plugin;

import dev.earshot.spi.Plugin;
import dev.earshot.spi.PluginContext;
import dev.earshot.spi.PluginOption;
import dev.earshot.spi.hook.SessionHook;
import dev.earshot.spi.hook.SessionHookFactory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The declarations are asked once when a plugin is loaded; one that is itself wrong refuses the plugin. */
class DeclaredOptionsLoadingTest {

    private static Plugin hookPlugin(Supplier<List<PluginOption>> options) {
        return new Plugin() {
            @Override
            public String name() {
                return "declaring";
            }

            @Override
            public Iterable<SessionHookFactory> sessionHookFactories() {
                return List.of(new SessionHookFactory() {
                    @Override
                    public String name() {
                        return "marker";
                    }

                    @Override
                    public SessionHook create(PluginContext context) {
                        return new SessionHook() {
                        };
                    }

                    @Override
                    public List<PluginOption> options() {
                        return options.get();
                    }
                });
            }
        };
    }

    @Test
    void validDeclarationsAreKeptByKindAndType() {
        List<PluginOption> declared = List.of(PluginOption.string("label", "x", "A label."));
        LoadedPlugin plugin = PluginRegistry.of(List.of(hookPlugin(() -> declared))).plugin("declaring").orElseThrow();
        assertEquals(declared, plugin.options(ComponentKind.HOOK, "marker"));
        assertEquals(List.of(), plugin.options(ComponentKind.SINK, "marker"));
    }

    @Test
    void aNameDeclaredTwiceRefusesThePluginNamingTheFactory() {
        var error = assertThrows(IllegalStateException.class, () -> PluginRegistry.of(List.of(hookPlugin(() -> List.of(
                PluginOption.bool("loud", true, "x"), PluginOption.bool("loud", false, "y"))))));
        assertEquals("conflicting or invalid plugins: the declared options of hook type 'marker' of plugin 'declaring'"
                + " are not valid: option 'loud' is declared twice; fix the declaration in its options()", error.getMessage());
    }

    @Test
    void aDeclarationThatThrowsOrReturnsNullRefusesThePlugin() {
        var invalidDefault = assertThrows(IllegalStateException.class, () -> PluginRegistry.of(List.of(
                hookPlugin(() -> List.of(PluginOption.duration("wait", "soon", "x"))))));
        assertEquals("conflicting or invalid plugins: the declared options of hook type 'marker' of plugin 'declaring'"
                + " are not valid: option 'wait': default 'soon' is not a duration such as 250ms, 5s, 2m or PT1S; fix the"
                + " declaration in its options()", invalidDefault.getMessage());
        var none = assertThrows(IllegalStateException.class, () -> PluginRegistry.of(List.of(hookPlugin(() -> null))));
        assertEquals("conflicting or invalid plugins: the declared options of hook type 'marker' of plugin 'declaring'"
                + " are not valid: options() returned null instead of a list; fix the declaration in its options()",
                none.getMessage());
    }
}
