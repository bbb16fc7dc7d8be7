package dev.floe.worker.sandbox;

import java.io.IOException;

/**
 * Stops and resumes every process of a {@link Cell}. A freeze is requested, then confirmed: the
 * kernel finishes freezing a cgroup asynchronously, so callers poll {@link #isFrozen} rather than
 * block. Three real implementations, chosen by what the machine offers:
 * the cgroup v2 freezer ({@code cgroup.freeze}), the cgroup v1 freezer ({@code freezer.state}),
 * and SIGSTOP/SIGCONT to the environment's process group.
 */
public interface FreezeDriver {
    /** "cgroup2", "cgroup1" or "signal", as reported to the controller and users. */
    String name();

    void freeze(Cell cell) throws IOException;

    boolean isFrozen(Cell cell) throws IOException;

    /** Once this returns, the cell's processes may run. */
    void thaw(Cell cell) throws IOException;

    static FreezeDriver cgroup2() {
        return new FreezeDriver() {
            @Override
            public String name() {
                return "cgroup2";
            }

            @Override
            public void freeze(Cell cell) throws IOException {
                cell.control(cell.unified(), "cgroup.freeze", true).write("1");
            }

            @Override
            public boolean isFrozen(Cell cell) throws IOException {
                return cell.control(cell.unified(), "cgroup.events", false).keyed("frozen") == 1;
            }

            @Override
            public void thaw(Cell cell) throws IOException {
                cell.control(cell.unified(), "cgroup.freeze", true).write("0");
            }
        };
    }

    static FreezeDriver cgroup1() {
        return new FreezeDriver() {
            @Override
            public String name() {
                return "cgroup1";
            }

            @Override
            public void freeze(Cell cell) throws IOException {
                cell.control(cell.v1Freezer(), "freezer.state", true).write("FROZEN");
            }

            @Override
            public boolean isFrozen(Cell cell) throws IOException {
                return cell.control(cell.v1Freezer(), "freezer.state", true).read().trim().equals("FROZEN");
            }

            @Override
            public void thaw(Cell cell) throws IOException {
                cell.control(cell.v1Freezer(), "freezer.state", true).write("THAWED");
            }
        };
    }

    /**
     * SIGSTOP/SIGCONT to the environment's process group: needs no privilege, but a process that
     * starts its own process group or session escapes it.
     */
    static FreezeDriver signal() {
        return new FreezeDriver() {
            @Override
            public String name() {
                return "signal";
            }

            @Override
            public void freeze(Cell cell) {
                Libc.kill(-cell.pid(), Libc.SIGSTOP);
            }

            @Override
            public boolean isFrozen(Cell cell) {
                return true;
            }

            @Override
            public void thaw(Cell cell) {
                Libc.kill(-cell.pid(), Libc.SIGCONT);
            }
        };
    }
}
