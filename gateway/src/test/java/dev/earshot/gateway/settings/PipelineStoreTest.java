package dev.earshot.gateway.settings;

import dev.earshot.gateway.plugin.ComponentKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stored pipeline specs: written atomically, read back the same, a corrupt one skipped without the others. */
class PipelineStoreTest {

    @Test
    void aSpecIsStoredAtomicallyAndReadBackTheSame(@TempDir Path dir) throws Exception {
        PipelineStore store = new PipelineStore(dir.resolve("pipelines"));
        PipelineSpec spec = PipelineSpec.parse("alerts", """
                {"engine": "vosk", "sinks": ["log", {"id": "alarm", "type": "keyword-alert", "keywords": ["fire", "smoke"], "min": 2}],
                 "max-sessions": 3, "speech-gate": "off"}""");
        store.save(spec);
        store.save(spec);
        try (Stream<Path> files = Files.list(store.folder())) {
            assertEquals(List.of("alerts.json"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left");
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(store.file("alerts"))));
        List<PipelineSpec> loaded = store.loadAll();
        assertEquals(1, loaded.size());
        PipelineSpec back = loaded.get(0);
        assertEquals(spec.settings(), back.settings());
        assertEquals(List.of("log", "alarm"), back.settings().sinks());
        assertEquals(Map.of("alarm", Map.of("type", "keyword-alert", "keywords", "fire,smoke", "min", "2")),
                back.declared(ComponentKind.SINK));
        assertEquals(spec.json(), back.json());
    }

    @Test
    void aCorruptSpecIsSkippedAndTheOthersLoad(@TempDir Path dir) throws Exception {
        PipelineStore store = new PipelineStore(dir.resolve("pipelines"));
        store.save(PipelineSpec.parse("good", "{\"sinks\": \"log\"}"));
        Files.writeString(store.file("broken"), "{\"sinks\": [");
        Files.writeString(store.file("wrong"), "{\"max-sessions\": \"many\"}");
        Files.writeString(store.folder().resolve(".half-123.tmp"), "{");
        List<PipelineSpec> loaded = store.loadAll();
        assertEquals(List.of("good"), loaded.stream().map(PipelineSpec::name).toList());
        assertFalse(Files.exists(store.folder().resolve(".half-123.tmp")), "leftover of an interrupted write removed");
        assertTrue(Files.exists(store.file("broken")), "a corrupt spec is left for the operator to see");
    }

    @Test
    void namesAndIdsMustBeSafeFileNames() {
        for (String name : List.of("../x", "a/b", "", ".hidden", "A", "x".repeat(65), "with space")) {
            GatewayConfigException e = assertThrows(GatewayConfigException.class, () -> PipelineSpec.parse(name, "{}"));
            assertTrue(e.getMessage().contains("is not valid; use 1 to 64 of a-z, 0-9"), e.getMessage());
        }
        GatewayConfigException e = assertThrows(GatewayConfigException.class,
                () -> PipelineSpec.parse("ok", "{\"hooks\": [{\"id\": \"..\", \"type\": \"x\"}], \"sinks\": [{\"type\": \"a/b\"}]}"));
        assertEquals(2, e.problems().size(), e.getMessage());
    }
}
