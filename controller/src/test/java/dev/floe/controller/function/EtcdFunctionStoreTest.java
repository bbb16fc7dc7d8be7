package dev.floe.controller.function;

import dev.floe.controller.cluster.Etcd;
import dev.floe.testing.EtcdProcess;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The function store contract on a real etcd; each test has its own key prefix, a second store its own connection. */
class EtcdFunctionStoreTest extends FunctionStoreContract {
    private static EtcdProcess etcd;
    private final String prefix = "/floe-" + UUID.randomUUID() + "/";

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
    }

    @AfterAll
    static void stopEtcd() {
        etcd.close();
    }

    @Override
    protected FunctionStore openStore() {
        return EtcdFunctionStore.open(Etcd.connect(etcd.endpoints(), prefix));
    }

    @Override
    protected FunctionStore openAgain() {
        return EtcdFunctionStore.open(Etcd.connect(etcd.endpoints(), prefix));
    }
}
