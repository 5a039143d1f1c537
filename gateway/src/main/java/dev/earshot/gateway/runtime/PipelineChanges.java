package dev.earshot.gateway.runtime;

import dev.earshot.gateway.pipeline.Pipeline;
import dev.earshot.gateway.plugin.ComponentKind;
import dev.earshot.gateway.settings.ComponentSpec;
import dev.earshot.gateway.settings.GatewayConfigException;
import dev.earshot.gateway.settings.PipelineSettings;
import dev.earshot.gateway.settings.PipelineSpec;
import dev.earshot.gateway.settings.PipelineStore;
import dev.earshot.gateway.settings.RuntimePlan;
import dev.earshot.gateway.settings.RuntimeSettings;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pipelines added at run time ({@code PUT}/{@code DELETE /api/pipelines/{name}}) and stored in the data folder.
 * A change is checked in full (names, declarations, types, every component created) before anything running is
 * touched: the components are created aside and only shared once all of them exist, and the spec is on disk before
 * the pipeline replaces anything; on any error what was created is closed and the gateway is as it was. Changes are
 * serialised; pipelines from the configuration file are read-only here.
 */
final class PipelineChanges {

    private static final System.Logger LOG = System.getLogger(PipelineChanges.class.getName());

    private final GatewayRuntime runtime;
    private final RuntimeSettings configured;
    private final PipelineStore store;
    private final Map<String, PipelineSpec> stored = new ConcurrentHashMap<>();
    private final Object changes = new Object();

    PipelineChanges(GatewayRuntime runtime, RuntimeSettings configured) {
        this.runtime = runtime;
        this.configured = configured;
        this.store = new PipelineStore(configured.dataDir().resolve("pipelines"));
    }

    /** The spec of a pipeline added through the API, or empty (a configured pipeline, or none). */
    Optional<PipelineSpec> spec(String name) {
        return Optional.ofNullable(stored.get(name));
    }

    Map<String, PipelineSettings> configuredPipelines() {
        return configured.pipelines();
    }

    boolean configured(String name) {
        return configured.pipelines().containsKey(name);
    }

    /**
     * Reads the stored specs at start-up, before the decoding threads are sized. A spec whose name is taken by the
     * configuration file or whose declarations contradict earlier ones is logged and skipped.
     *
     * @return the specs to add once the configured pipelines run
     */
    List<PipelineSpec> load() {
        List<PipelineSpec> accepted = new ArrayList<>();
        for (PipelineSpec spec : store.loadAll()) {
            if (configured(spec.name())) {
                LOG.log(System.Logger.Level.ERROR, "stored pipeline " + store.file(spec.name()) + " skipped: the "
                        + "configuration file defines a pipeline '" + spec.name() + "' (earshot.pipelines." + spec.name()
                        + ".*); remove one of the two");
                continue;
            }
            List<String> problems = declarationConflicts(spec, accepted, null);
            if (!problems.isEmpty()) {
                LOG.log(System.Logger.Level.ERROR, "stored pipeline " + store.file(spec.name()) + " skipped: "
                        + String.join("; ", problems));
                continue;
            }
            accepted.add(spec);
            stored.put(spec.name(), spec);
        }
        return accepted;
    }

    /** The configuration with the stored pipelines and their declarations added. */
    RuntimeSettings effective() {
        return effective(stored.values());
    }

    private RuntimeSettings effective(Collection<PipelineSpec> specs) {
        Map<String, PipelineSettings> pipelines = new LinkedHashMap<>(configured.pipelines());
        Map<ComponentKind, Map<String, Map<String, String>>> components = new EnumMap<>(ComponentKind.class);
        for (ComponentKind kind : ComponentKind.values()) {
            components.put(kind, new LinkedHashMap<>(configured.instances(kind)));
        }
        for (PipelineSpec spec : specs) {
            pipelines.put(spec.name(), spec.settings());
            for (ComponentKind kind : ComponentKind.values()) {
                spec.declared(kind).forEach(components.get(kind)::putIfAbsent);
            }
        }
        return configured.with(pipelines, components);
    }

    /**
     * Adds the stored pipelines at start-up, each on its own: one that cannot be resolved or started stays, failed,
     * with the reason (a plugin it needs may be installed later), and the others start.
     */
    void addStored(List<PipelineSpec> specs) {
        for (PipelineSpec spec : specs) {
            Pipeline pipeline = runtime.newPipeline(spec.settings());
            try {
                RuntimePlan.PipelinePlan plan = RuntimePlan.resolvePipeline(spec.settings(), runtime.settings(), runtime.plugins());
                synchronized (runtime) {
                    String failure = GatewayRuntime.pluginFailure(plan);
                    if (failure != null) {
                        pipeline.failed(failure);
                        continue;
                    }
                    List<String> problems = new ArrayList<>();
                    runtime.components().bind(pipeline, plan, problems);
                    if (!problems.isEmpty()) {
                        throw new GatewayConfigException(problems);
                    }
                }
                if (spec.settings().enabled()) {
                    pipeline.start();
                }
                LOG.log(System.Logger.Level.INFO, "stored pipeline '" + spec.name() + "' added from " + store.file(spec.name()));
            } catch (GatewayConfigException e) {
                pipeline.failed("stored in " + store.file(spec.name()) + ": " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "stored pipeline '" + spec.name() + "': " + e.getMessage());
            }
        }
    }

    /**
     * Adds a pipeline, or replaces one added earlier, and starts it when its spec says {@code enabled}.
     *
     * @param force replace even while the earlier pipeline of that name has sessions (they are ended, then aborted)
     */
    GatewayRuntime.PipelinePut put(PipelineSpec spec, boolean force) throws PipelineChangeException {
        synchronized (changes) {
            String name = spec.name();
            readOnly(name);
            PipelineSpec previous = stored.get(name);
            Pipeline old = previous == null ? null : runtime.pipeline(name).orElse(null);
            if (old != null && old.sessionCount() > 0 && !force) {
                throw busy(old);
            }
            List<PipelineSpec> others = new ArrayList<>(stored.values());
            others.remove(previous);
            List<String> problems = declarationConflicts(spec, others, previous);
            List<PipelineSpec> after = new ArrayList<>(others);
            after.add(spec);
            RuntimeSettings candidate = effective(after);
            int sessions = candidate.pipelines().values().stream().mapToInt(PipelineSettings::maxSessions).sum();
            if (sessions > runtime.sessionCapacity()) {
                problems.add("earshot.pipelines." + name + ".max-sessions: " + spec.settings().maxSessions()
                        + " would let all pipelines together open " + sessions + " sessions, more than this run of the "
                        + "gateway can decode (" + runtime.sessionCapacity() + "); lower it, or restart the gateway");
            }
            if (!problems.isEmpty()) {
                throw invalid(name, problems);
            }
            RuntimePlan.PipelinePlan plan;
            try {
                plan = RuntimePlan.resolvePipeline(spec.settings(), candidate, runtime.plugins());
            } catch (GatewayConfigException e) {
                throw invalid(name, e.problems());
            }
            String pluginFailure = GatewayRuntime.pluginFailure(plan);
            if (pluginFailure != null) {
                throw invalid(name, List.of(pluginFailure));
            }
            RuntimeComponents.Staged staged;
            synchronized (runtime) {
                staged = runtime.components().stage(plan, problems);
            }
            if (staged == null) {
                throw invalid(name, problems);
            }
            try {
                if (!spec.settings().enabled() && plan.source().isPresent()) {
                    checkSource(plan.source().get());
                }
                store.save(spec);
            } catch (GatewayConfigException e) {
                runtime.components().discard(staged);
                throw invalid(name, e.problems());
            } catch (IOException | RuntimeException e) {
                runtime.components().discard(staged);
                throw new PipelineChangeException(PipelineChangeException.Reason.STORAGE, "cannot store pipeline '" + name
                        + "' in " + store.folder() + ": " + e + " (earshot.data-dir must be a writable folder)", e);
            }
            String gone = uninstalledMeanwhile(plan);
            if (gone != null) {
                runtime.components().discard(staged);
                restore(name, previous);
                throw invalid(name, List.of(gone));
            }
            if (old != null) {
                old.stop(runtime.settings().drainTimeout());
            }
            Pipeline pipeline;
            synchronized (runtime) {
                gone = uninstalledMeanwhile(plan);
                if (gone != null) {
                    runtime.components().discard(staged);
                    restore(name, previous);
                    throw invalid(name, List.of(gone + (old == null ? "" : "; the pipeline it replaces was stopped")));
                }
                RuntimePlan.PipelinePlan oldPlan = old == null ? null : old.plan();
                if (old != null) {
                    detach(old);
                }
                stored.put(name, spec);
                runtime.settings(effective());
                runtime.components().commit(staged);
                pipeline = runtime.newPipeline(spec.settings());
                runtime.components().bindCreated(pipeline, plan);
                if (oldPlan != null) {
                    runtime.components().closeUnused(oldPlan, runtime.pipelines());
                }
            }
            LOG.log(System.Logger.Level.INFO, "pipeline '" + name + "' " + (old == null ? "added" : "replaced")
                    + " through the API, stored in " + store.file(name));
            if (spec.settings().enabled()) {
                try {
                    pipeline.start();
                } catch (RuntimeException e) {
                    if (old == null) {
                        // A new pipeline that cannot start is not kept: the gateway is as before the request.
                        removeNow(pipeline);
                        throw invalid(name, List.of(pipeline.failure() == null ? e.getMessage() : pipeline.failure()));
                    }
                    // A replaced one stays, failed, with its new spec: the answer shows why; PUT again or DELETE.
                }
            }
            return new GatewayRuntime.PipelinePut(pipeline, old == null);
        }
    }

    /**
     * Stops and removes a pipeline added through the API, and its stored spec. Components no other pipeline uses are
     * closed.
     *
     * @param force remove even while it has sessions (they are ended, then aborted after the drain time)
     */
    Pipeline remove(String name, boolean force) throws PipelineChangeException {
        synchronized (changes) {
            readOnly(name);
            Pipeline pipeline = runtime.pipeline(name).filter(p -> stored.containsKey(name)).orElseThrow(() ->
                    new PipelineChangeException(PipelineChangeException.Reason.NOT_FOUND, "unknown pipeline '" + name
                            + "' (available: " + String.join(", ", runtime.pipelines().stream().map(Pipeline::name).toList()) + ")"));
            if (pipeline.sessionCount() > 0 && !force) {
                throw busy(pipeline);
            }
            pipeline.stop(runtime.settings().drainTimeout());
            try {
                store.delete(name);
            } catch (IOException e) {
                throw new PipelineChangeException(PipelineChangeException.Reason.STORAGE, "pipeline '" + name
                        + "' is stopped but its spec cannot be deleted: " + e + "; fix the folder's permissions and DELETE again", e);
            }
            removeNow(pipeline);
            LOG.log(System.Logger.Level.INFO, "pipeline '" + name + "' removed through the API");
            return pipeline;
        }
    }

    /** Why the plan cannot be used any more (a plugin it needs was uninstalled while it was being built), or null. */
    private String uninstalledMeanwhile(RuntimePlan.PipelinePlan plan) {
        for (ComponentSpec component : plan.components()) {
            if (runtime.plugins().plugin(component.plugin().name()).orElse(null) != component.plugin()) {
                return "plugin '" + component.plugin().name() + "' (for " + component.describe()
                        + ") was uninstalled meanwhile; install it and try again";
            }
        }
        return null;
    }

    /** Puts the stored spec back as it was before a refused change (it was written before the swap). */
    private void restore(String name, PipelineSpec previous) {
        try {
            if (previous == null) {
                store.delete(name);
            } else {
                store.save(previous);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot restore " + store.file(name) + ": " + e);
        }
    }

    /** Creates a pipeline's source once and closes it: its options are checked as a start would check them. */
    private void checkSource(ComponentSpec source) {
        try {
            runtime.createSource(source).close();
        } catch (GatewayConfigException e) {
            throw e;
        } catch (Exception e) {
            throw new GatewayConfigException(List.of(source.prefix() + ": cannot close " + source.describe()
                    + " after checking it: " + e.getMessage()));
        }
    }

    private void removeNow(Pipeline pipeline) {
        pipeline.stop(runtime.settings().drainTimeout());
        try {
            store.delete(pipeline.name());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot delete " + store.file(pipeline.name()) + ": " + e);
        }
        synchronized (runtime) {
            RuntimePlan.PipelinePlan plan = pipeline.plan();
            detach(pipeline);
            stored.remove(pipeline.name());
            runtime.settings(effective());
            if (plan != null) {
                List<String> closed = runtime.components().closeUnused(plan, runtime.pipelines());
                if (!closed.isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "closed, no longer used: " + String.join(", ", closed));
                }
            }
        }
    }

    /** Takes a stopped pipeline out of the runtime: unbound, unlisted, its meters removed. Under the runtime's lock. */
    private void detach(Pipeline pipeline) {
        pipeline.unbind();
        runtime.forget(pipeline);
    }

    private void readOnly(String name) throws PipelineChangeException {
        if (configured(name)) {
            throw new PipelineChangeException(PipelineChangeException.Reason.READ_ONLY, "pipeline '" + name
                    + "' comes from the configuration file (earshot.pipelines." + name + ".*) and is read-only here; "
                    + "change it there and restart, or use another name");
        }
    }

    private static PipelineChangeException busy(Pipeline pipeline) {
        return new PipelineChangeException(PipelineChangeException.Reason.BUSY, "pipeline '" + pipeline.name() + "' has "
                + pipeline.sessionCount() + " session(s) open; wait for them to end, or add ?force=true to end them");
    }

    private static PipelineChangeException invalid(String name, List<String> problems) {
        return new PipelineChangeException(PipelineChangeException.Reason.INVALID, new GatewayConfigException(problems)
                .getMessage().replaceFirst("^invalid configuration", "invalid pipeline '" + name + "'"));
    }

    /**
     * Declarations of the spec that contradict what exists: an id declared with other options by the configuration
     * file or another stored pipeline, or an instance already created under that id without a declaration.
     *
     * @param previous the spec this one replaces, or null
     */
    private List<String> declarationConflicts(PipelineSpec spec, Collection<PipelineSpec> others, PipelineSpec previous) {
        List<String> problems = new ArrayList<>();
        for (ComponentKind kind : ComponentKind.values()) {
            spec.declared(kind).forEach((id, options) -> {
                String by = null;
                Map<String, String> existing = configured.instances(kind).get(id);
                if (existing != null) {
                    by = "the configuration file";
                } else {
                    for (PipelineSpec other : others) {
                        existing = other.declared(kind).get(id);
                        if (existing != null) {
                            by = "pipeline '" + other.name() + "'";
                            break;
                        }
                    }
                }
                if (existing == null && previous != null && previous.declared(kind).containsKey(id)) {
                    existing = previous.declared(kind).get(id);
                    by = "the current spec of this pipeline (DELETE it and PUT it again to change the options)";
                }
                if (existing != null && !existing.equals(options)) {
                    problems.add(kind.prefix(id) + ": " + kind.singular() + " '" + id + "' is already declared by " + by
                            + " with other options; name it by its id alone to share it, or declare yours under another id");
                } else if (existing == null && runtime.components().exists(kind, id)) {
                    problems.add(kind.prefix(id) + ": a " + kind.singular() + " '" + id + "' already exists (type '" + id
                            + "' with its defaults); name it alone to share it, or declare yours under another id");
                }
            });
        }
        return problems;
    }
}
