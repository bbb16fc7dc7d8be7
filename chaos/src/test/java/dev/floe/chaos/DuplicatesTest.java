package dev.floe.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.proto.Environment;
import dev.floe.proto.Worker;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the harness calls listed twice after a worker rejoins: the check a partition must pass. */
class DuplicatesTest {
    private static Environment env(String id, String worker, int pid, Environment.State state) {
        return Environment.newBuilder().setId(id).setWorkerId(worker).setPid(pid).setState(state).build();
    }

    private static Worker worker(String id) {
        return Worker.newBuilder().setId(id).build();
    }

    @Test
    void aWholeViewHasNoDuplicates() {
        List<Environment> envs = List.of(env("e1", "w0", 10, Environment.State.IDLE), env("e2", "w0", 11, Environment.State.BUSY),
                env("e3", "w1", 10, Environment.State.IDLE));

        assertEquals(List.of(), ChaosRun.duplicates(envs, List.of(worker("w0"), worker("w1"))), "the same pid on two workers is two processes");
    }

    @Test
    void anEnvironmentOrWorkerListedTwiceOrOneProcessTwiceIsFound() {
        List<Environment> envs = List.of(env("e1", "w0", 10, Environment.State.IDLE), env("e1", "w0", 10, Environment.State.IDLE),
                env("e2", "w1", 20, Environment.State.IDLE), env("e3", "w1", 20, Environment.State.BUSY));

        List<String> found = ChaosRun.duplicates(envs, List.of(worker("w0"), worker("w1"), worker("w1")));

        assertEquals(List.of("environment e1 listed twice", "two environments on w0 with process 10",
                "two environments on w1 with process 20", "worker w1 listed 2 times"), found);
    }

    @Test
    void aRetiredEnvironmentBesideItsSuccessorIsNotADuplicate() {
        List<Environment> envs = List.of(env("e1", "w0", 10, Environment.State.RETIRED), env("e2", "w0", 10, Environment.State.IDLE));

        assertEquals(List.of(), ChaosRun.duplicates(envs, List.of(worker("w0"))));
    }
}
