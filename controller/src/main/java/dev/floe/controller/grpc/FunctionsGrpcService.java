package dev.floe.controller.grpc;

import dev.floe.controller.function.ConcurrencyChange;
import dev.floe.controller.function.FunctionCatalog;
import dev.floe.controller.function.FunctionUpdate;
import dev.floe.controller.invoke.Admission;
import dev.floe.proto.Alias;
import dev.floe.proto.CreateAliasRequest;
import dev.floe.proto.CreateFunctionRequest;
import dev.floe.proto.DeleteAliasRequest;
import dev.floe.proto.DeleteAliasResponse;
import dev.floe.proto.GetAliasRequest;
import dev.floe.proto.ListAliasesRequest;
import dev.floe.proto.ListAliasesResponse;
import dev.floe.proto.ListRevisionsRequest;
import dev.floe.proto.ListRevisionsResponse;
import dev.floe.proto.UpdateAliasRequest;
import dev.floe.proto.DeleteFunctionRequest;
import dev.floe.proto.DeleteFunctionResponse;
import dev.floe.proto.Function;
import dev.floe.proto.FunctionsGrpc;
import dev.floe.proto.GetFunctionRequest;
import dev.floe.proto.ListFunctionsRequest;
import dev.floe.proto.ListFunctionsResponse;
import dev.floe.proto.UpdateFunctionRequest;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.OptionalInt;

/** The {@code Functions} service: maps its messages to {@link FunctionCatalog} calls. */
public final class FunctionsGrpcService extends FunctionsGrpc.FunctionsImplBase {
    private final FunctionCatalog catalog;
    private final Admission admission;
    private final java.util.function.Consumer<Function> concurrencyChanged;

    /** {@code concurrencyChanged} is told of each function whose concurrency settings changed. */
    public FunctionsGrpcService(FunctionCatalog catalog, Admission admission, java.util.function.Consumer<Function> concurrencyChanged) {
        this.catalog = catalog;
        this.admission = admission;
        this.concurrencyChanged = concurrencyChanged;
    }

    @Override
    public void createFunction(CreateFunctionRequest request, StreamObserver<Function> responses) {
        Replies.unary(responses, () -> catalog.create(request.getName(), request.getConfig(), request.getCodeZip().toByteArray()));
    }

    @Override
    public void updateFunction(UpdateFunctionRequest request, StreamObserver<Function> responses) {
        Replies.unary(responses, () -> {
            ConcurrencyChange concurrency = new ConcurrencyChange(
                    request.hasReservedConcurrency() ? OptionalInt.of(request.getReservedConcurrency()) : OptionalInt.empty(),
                    request.hasProvisionedConcurrency() ? OptionalInt.of(request.getProvisionedConcurrency()) : OptionalInt.empty());
            if (concurrency.isEmpty() || changesRevision(request)) {
                // Checked first, so that a bad concurrency value does not leave a new revision behind.
                if (!concurrency.isEmpty()) {
                    admission.checkReservation(request.getName(),
                            concurrency.applyTo(catalog.get(request.getName()).getConcurrency()));
                }
                Function updated = catalog.update(toUpdate(request));
                if (concurrency.isEmpty()) {
                    return updated;
                }
            }
            Function changed = catalog.setConcurrency(request.getName(), concurrency, (name, settings) -> {
                admission.checkReservation(name, settings);
                admission.reserve(name, settings);
            });
            concurrencyChanged.accept(changed);
            return changed;
        });
    }

    @Override
    public void getFunction(GetFunctionRequest request, StreamObserver<Function> responses) {
        Replies.unary(responses, () -> catalog.get(request.getName()));
    }

    @Override
    public void listFunctions(ListFunctionsRequest request, StreamObserver<ListFunctionsResponse> responses) {
        Replies.unary(responses, () -> ListFunctionsResponse.newBuilder().addAllFunctions(catalog.list()).build());
    }

    @Override
    public void deleteFunction(DeleteFunctionRequest request, StreamObserver<DeleteFunctionResponse> responses) {
        Replies.unary(responses, () -> {
            catalog.delete(request.getName());
            return DeleteFunctionResponse.getDefaultInstance();
        });
    }

    @Override
    public void listRevisions(ListRevisionsRequest request, StreamObserver<ListRevisionsResponse> responses) {
        Replies.unary(responses, () -> ListRevisionsResponse.newBuilder().addAllRevisions(catalog.revisions(request.getName())).build());
    }

    @Override
    public void createAlias(CreateAliasRequest request, StreamObserver<Alias> responses) {
        Replies.unary(responses, () -> {
            Alias.Builder alias = Alias.newBuilder().setFunction(request.getFunction()).setName(request.getName())
                    .setRevision(request.getRevision()).setDescription(request.getDescription());
            if (request.hasRouting()) {
                alias.setRouting(request.getRouting());
            }
            return catalog.createAlias(alias.build());
        });
    }

    @Override
    public void updateAlias(UpdateAliasRequest request, StreamObserver<Alias> responses) {
        Replies.unary(responses, () -> catalog.updateAlias(request));
    }

    @Override
    public void getAlias(GetAliasRequest request, StreamObserver<Alias> responses) {
        Replies.unary(responses, () -> catalog.alias(request.getFunction(), request.getName()));
    }

    @Override
    public void listAliases(ListAliasesRequest request, StreamObserver<ListAliasesResponse> responses) {
        Replies.unary(responses, () -> ListAliasesResponse.newBuilder().addAllAliases(catalog.aliases(request.getFunction())).build());
    }

    @Override
    public void deleteAlias(DeleteAliasRequest request, StreamObserver<DeleteAliasResponse> responses) {
        Replies.unary(responses, () -> {
            catalog.deleteAlias(request.getFunction(), request.getName());
            return DeleteAliasResponse.getDefaultInstance();
        });
    }

    /** Whether the request changes anything a revision holds; concurrency alone does not. */
    private static boolean changesRevision(UpdateFunctionRequest r) {
        return !r.getCodeZip().isEmpty() || r.hasRuntime() || r.hasHandler() || r.hasMemoryMb() || r.hasTimeoutSeconds()
                || r.hasTmpMb() || r.hasEnvironment();
    }

    static FunctionUpdate toUpdate(UpdateFunctionRequest r) {
        return new FunctionUpdate(
                r.getName(),
                r.getCodeZip().isEmpty() ? Optional.empty() : Optional.of(r.getCodeZip().toByteArray()),
                r.hasRuntime() ? Optional.of(r.getRuntime()) : Optional.empty(),
                r.hasHandler() ? Optional.of(r.getHandler()) : Optional.empty(),
                r.hasMemoryMb() ? OptionalInt.of(r.getMemoryMb()) : OptionalInt.empty(),
                r.hasTimeoutSeconds() ? OptionalInt.of(r.getTimeoutSeconds()) : OptionalInt.empty(),
                r.hasTmpMb() ? OptionalInt.of(r.getTmpMb()) : OptionalInt.empty(),
                r.hasEnvironment() ? Optional.of(r.getEnvironment().getVariablesMap()) : Optional.empty());
    }
}
