package dev.floe.controller.lambdaapi;

import com.google.gson.JsonObject;
import dev.floe.controller.function.Qualifier;
import dev.floe.proto.Alias;
import dev.floe.proto.AliasRouting;
import dev.floe.proto.UpdateAliasRequest;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Aliases in Lambda's shapes (API reference: CreateAlias, UpdateAlias, AliasConfiguration,
 * AliasRoutingConfiguration). An alias points at a revision number: Floe's versions are its
 * revisions, and an alias of {@code $LATEST} is refused (invoke without a qualifier for that).
 */
final class AliasShapes {
    private AliasShapes() {}

    /** CreateAlias's body as the alias to create. */
    static Alias create(String function, byte[] body) {
        RequestBody b = RequestBody.parse("CreateAlias", body)
                .allowOnly(Set.of("Name", "FunctionVersion", "Description", "RoutingConfig"), Set.of());
        Alias.Builder alias = Alias.newBuilder()
                .setFunction(function)
                .setName(Qualifier.checkAliasName(b.requiredString("Name")))
                .setRevision(revision("CreateAlias", b.requiredString("FunctionVersion")))
                .setDescription(b.string("Description").orElse(""));
        routing("CreateAlias", b).ifPresent(alias::setRouting);
        return alias.build();
    }

    /** UpdateAlias's body as an update; fields it leaves out are kept. */
    static UpdateAliasRequest update(String function, String alias, byte[] body) {
        RequestBody b = RequestBody.parse("UpdateAlias", body)
                .allowOnly(Set.of("FunctionVersion", "Description", "RoutingConfig", "RevisionId"), Set.of());
        UpdateAliasRequest.Builder update = UpdateAliasRequest.newBuilder().setFunction(function).setName(alias);
        b.string("FunctionVersion").ifPresent(v -> update.setRevision(revision("UpdateAlias", v)));
        b.string("Description").ifPresent(update::setDescription);
        routing("UpdateAlias", b).ifPresent(update::setRouting);
        b.string("RevisionId").ifPresent(update::setExpectedAliasId);
        return update.build();
    }

    /** AliasConfiguration. */
    static JsonObject configuration(Alias a) {
        JsonObject o = new JsonObject();
        o.addProperty("AliasArn", FunctionShapes.ARN_PREFIX + a.getFunction() + ":" + a.getName());
        o.addProperty("Name", a.getName());
        o.addProperty("FunctionVersion", Integer.toString(a.getRevision()));
        o.addProperty("Description", a.getDescription());
        o.addProperty("RevisionId", a.getAliasId());
        if (a.hasRouting()) {
            JsonObject weights = new JsonObject();
            weights.addProperty(Integer.toString(a.getRouting().getRevision()), a.getRouting().getWeight());
            JsonObject routing = new JsonObject();
            routing.add("AdditionalVersionWeights", weights);
            o.add("RoutingConfig", routing);
        }
        return o;
    }

    /**
     * RoutingConfig.AdditionalVersionWeights, at most one version (as Lambda allows); an empty map
     * is a routing to revision 0, which removes it.
     */
    private static Optional<AliasRouting> routing(String operation, RequestBody b) {
        return b.object("RoutingConfig").map(r -> {
            r.allowOnly(Set.of("AdditionalVersionWeights"), Set.of());
            Map<String, Double> weights = r.numberMap("AdditionalVersionWeights").orElse(Map.of());
            if (weights.size() > 1) {
                throw ApiError.invalid(operation + ": RoutingConfig.AdditionalVersionWeights has " + weights.size()
                        + " versions (expected: at most one)").toException();
            }
            if (weights.isEmpty()) {
                return AliasRouting.getDefaultInstance();
            }
            Map.Entry<String, Double> only = weights.entrySet().iterator().next();
            return AliasRouting.newBuilder().setRevision(revision(operation, only.getKey())).setWeight(only.getValue()).build();
        });
    }

    private static int revision(String operation, String version) {
        Qualifier q;
        try {
            q = Qualifier.parse(version);
        } catch (dev.floe.common.FloeException e) {
            q = null;
        }
        if (q == null || q.kind() != Qualifier.Kind.REVISION) {
            throw ApiError.invalid(operation + ": FunctionVersion: \"" + version + "\" (expected: a version number; in Floe"
                    + " every revision is a version, and an alias points at one: PublishVersion gives the latest's)").toException();
        }
        return q.revision();
    }
}
