/*
 * floe-env-launch: starts one Floe execution environment and stays beside it, so that nothing of the
 * environment outlives the worker (on a small machine each exec of a helper program costs
 * milliseconds, and a cold start runs this, so it is one program making the system calls).
 *
 * With private mounts (a worker running as root) there are three processes:
 *   - the launcher the worker spawned stays outside the environment, as root, holding nothing of it:
 *     it dies with the worker (parent-death signal) and otherwise waits for the environment and
 *     exits with its runtime's status;
 *   - its child is pid 1 of a new PID namespace (the environment's init, as the environment's user):
 *     it dies with the launcher (parent-death signal), and when it dies the kernel kills every
 *     process of the namespace, whatever they did to escape (new sessions, double forks, daemons);
 *     it reaps orphans and ends when the runtime ends;
 *   - the runtime, pid 2 there.
 * So the worker ending in any way (SIGKILL, OOM kill, crash) kills every process of every
 * environment within the kernel's signal delivery; with the last process the mount namespace goes,
 * and with it the /tmp mount and its loop device (which detaches itself on last close).
 *
 *   1. reads the runtime's environment variables from ENV_FILE and removes the file: the launcher
 *      itself runs as root with a fixed environment, so nothing of the function's (LD_PRELOAD, PATH...)
 *      can touch it, and the variables never appear on a command line other users can read;
 *   2. starts a new session, so its process group is its own and a terminal's signals miss it;
 *   3. joins the environment's cgroups (the init does, the launcher stays out: a frozen launcher could
 *      not die with the worker), so every process it ever forks is held, frozen and killed with it,
 *      and enters a cgroup namespace, so it sees its own cgroup as the root;
 *   4. in private mount and IPC namespaces, makes every mount of the machine read-only, then mounts
 *      the function's code read-only at TASK_ROOT, a managed runtime's files read-only at
 *      /var/runtime, an interpreter's installation read-only at /var/lang (when the machine keeps it
 *      under /tmp), the directories the operator shares writable at their own paths, its private
 *      /tmp (a loop-mounted ext4 image, or a tmpfs) also at /var/tmp and /dev/shm, bash as /bin/sh
 *      (as on Amazon Linux), a /proc of its PID namespace (only the environment's own processes),
 *      and its own cgroups, read-only, over the cgroup hierarchies they belong to (other
 *      environments' cgroups cannot be listed);
 *   5. limits its open files to Lambda's 1,024 and becomes the environment's own unprivileged user: no
 *      groups, no capabilities, no way to gain any;
 *   6. asks the kernel to kill it if the worker dies (parent-death signal), and starts the runtime.
 * Without private mounts (TMP_KIND none) there is no namespace: the launcher joins the cgroups and
 * execs the runtime, which keeps the pid the worker spawned and dies with it (but not its children).
 *
 * usage: floe-env-launch [--lang DIR] [--writable DIR]... PROCS TMP_KIND TMP_SOURCE TMP_MB CODE TASK_ROOT RUNTIME UID
 *        ENV_FILE -- COMMAND [ARG]...
 *   --lang      an interpreter's installation, mounted read-only at /var/lang (COMMAND names it there)
 *   --writable  a directory of the machine functions may write, at its own path (up to 16)
 *   PROCS       colon-separated cgroup.procs files to join ("" for none)
 *   TMP_KIND    disk (TMP_SOURCE is an ext4 image), tmpfs (of TMP_MB megabytes), or none
 *   CODE        the unpacked code; with a mount namespace it is mounted read-only at TASK_ROOT
 *   RUNTIME     a managed runtime's files, mounted read-only at /var/runtime ("" for none)
 *   UID         the user (and group) to run as; 0 keeps the launcher's
 *   ENV_FILE    the runtime's whole environment: "floe-env/1\n", then per variable the lengths of its name
 *               and value (4 bytes each, big-endian), the name, the value; names are letters, digits
 *               and underscores, values hold no NUL
 *
 * A failure is one line on stderr (the environment's log) and exit status 126.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/loop.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* Lambda's limit on open files; the runtime's variables fit well within the environment file's. */
#define MAX_OPEN_FILES 1024
/* The environment file's bounds, the same as the worker's (Sandbox's EnvironmentFile). */
#define MAX_ENVIRONMENT_BYTES (256 * 1024)
#define MAX_ENVIRONMENT_ENTRIES 1024
#define MAX_NAME_BYTES 255
/* One NAME=VALUE with its NUL: the kernel's limit on a single string passed to execve (MAX_ARG_STRLEN). */
#define MAX_ENTRY_BYTES (128 * 1024)
#define ENVIRONMENT_MAGIC_TEXT "\"floe-env/1\""
/* Where a managed runtime's files appear, as in Lambda (LAMBDA_RUNTIME_DIR). */
#define RUNTIME_ROOT "/var/runtime"
/* Where an interpreter's installation appears when the machine keeps it where a private mount would hide it (Lambda's /var/lang). */
#define LANG_ROOT "/var/lang"
/* Directories of the machine an operator may share with functions. */
#define MAX_WRITABLE 16

static void fail(const char *step, const char *subject) {
    fprintf(stderr, "floe-env-launch: %s %s: %s\n", step, subject, strerror(errno));
    exit(126);
}

/* The environment file's first line, then records of two big-endian 4-byte lengths, a name and a value. */
#define ENVIRONMENT_MAGIC "floe-env/1\n"

/* A variable the file holds, or the launcher cannot make sense of: one line on stderr, exit 126. */
static void refuse(const char *file, size_t record, const char *what) {
    fprintf(stderr, "floe-env-launch: %s, record %zu: %s\n", file, record, what);
    exit(126);
}

static uint32_t big_endian(const unsigned char *at) {
    return (uint32_t) at[0] << 24 | (uint32_t) at[1] << 16 | (uint32_t) at[2] << 8 | (uint32_t) at[3];
}

/* Letters, digits and underscores, not starting with a digit: what a shell, and every runtime, reads as a name. */
static int valid_name(const unsigned char *name, size_t length) {
    if (length == 0 || length > MAX_NAME_BYTES || (name[0] >= '0' && name[0] <= '9')) {
        return 0;
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
            return 0;
        }
    }
    return 1;
}

/*
 * Reads the runtime's environment and removes its file; returns a NULL-terminated envp. The file
 * gives every name and value with its length, so no byte of a value can end it or begin another
 * variable; each record is checked again here (the worker checked it when writing), and anything
 * off (a bad name, a NUL in a value, a name twice, a record cut short, too much) refuses the start.
 */
static char **read_environment(const char *file) {
    static unsigned char buffer[MAX_ENVIRONMENT_BYTES + 1];
    /* Each record becomes NAME=VALUE and a NUL: at most 2 bytes more than its 8-byte header took. */
    static char strings[MAX_ENVIRONMENT_BYTES];
    static char *entries[MAX_ENVIRONMENT_ENTRIES + 1];
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        fail("opening", file);
    }
    size_t length = 0;
    for (ssize_t n; (n = read(fd, buffer + length, sizeof buffer - length)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail("reading", file);
        }
        length += (size_t) n;
        if (length > MAX_ENVIRONMENT_BYTES) {
            errno = EFBIG;
            fail("reading", file);
        }
    }
    close(fd);
    unlink(file);
    size_t magic = strlen(ENVIRONMENT_MAGIC);
    if (length < magic || memcmp(buffer, ENVIRONMENT_MAGIC, magic) != 0) {
        refuse(file, 0, "not a Floe environment file (expected: " ENVIRONMENT_MAGIC_TEXT " first)");
    }
    size_t count = 0;
    size_t used = 0;
    for (size_t at = magic; at < length; count++) {
        if (count == MAX_ENVIRONMENT_ENTRIES) {
            refuse(file, count, "too many variables");
        }
        if (length - at < 8) {
            refuse(file, count, "cut short in its lengths");
        }
        size_t name_length = big_endian(buffer + at);
        size_t value_length = big_endian(buffer + at + 4);
        at += 8;
        if (name_length > length - at || value_length > length - at - name_length) {
            refuse(file, count, "cut short in its name or value");
        }
        const unsigned char *name = buffer + at;
        const unsigned char *value = name + name_length;
        at += name_length + value_length;
        if (!valid_name(name, name_length)) {
            refuse(file, count, "a name that is not letters, digits and underscores, or too long");
        }
        if (memchr(value, '\0', value_length) != NULL) {
            refuse(file, count, "a NUL inside a value");
        }
        if (name_length + 1 + value_length + 1 > MAX_ENTRY_BYTES) {
            refuse(file, count, "NAME=VALUE longer than the kernel passes to a program");
        }
        for (size_t i = 0; i < count; i++) {
            if (strncmp(entries[i], (const char *) name, name_length) == 0 && entries[i][name_length] == '=') {
                refuse(file, count, "a name given twice");
            }
        }
        char *entry = strings + used;
        memcpy(entry, name, name_length);
        entry[name_length] = '=';
        memcpy(entry + name_length + 1, value, value_length);
        entry[name_length + 1 + value_length] = '\0';
        used += name_length + value_length + 2;
        entries[count] = entry;
    }
    entries[count] = NULL;
    return entries;
}

static void bind_read_only(const char *source, const char *place, const char *what);

#define MAX_CGROUPS 8
static char *cgroup_files[MAX_CGROUPS + 1];

/* Splits PROCS into cgroup_files. */
static void split_cgroups(char *procs) {
    size_t count = 0;
    for (char *file = strtok(procs, ":"); file != NULL; file = strtok(NULL, ":")) {
        if (count == MAX_CGROUPS) {
            errno = E2BIG;
            fail("reading", "the cgroups to join");
        }
        cgroup_files[count++] = file;
    }
    cgroup_files[count] = NULL;
}

/* Moves the calling process into the cgroups; "0" names the writer in any PID namespace. */
static void join_cgroups(void) {
    for (char **file = cgroup_files; *file != NULL; file++) {
        int fd = open(*file, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) {
            fail("joining cgroup", *file);
        }
        close(fd);
    }
}

/*
 * Where the cgroup hierarchy holding DIR is mounted (the longest cgroup mount point that is a
 * prefix of DIR), from /proc/self/mountinfo; 0 when none is.
 */
static int cgroup_mount_point(const char *dir, char *point, size_t size) {
    FILE *mounts = fopen("/proc/self/mountinfo", "re");
    if (mounts == NULL) {
        fail("opening", "/proc/self/mountinfo");
    }
    char line[4096];
    size_t best = 0;
    while (fgets(line, sizeof line, mounts) != NULL) {
        /* id parent major:minor root mount-point options... - fstype source super-options */
        char *fields[5];
        char *cursor = line;
        int n = 0;
        for (; n < 5; n++) {
            fields[n] = strsep(&cursor, " ");
            if (fields[n] == NULL) {
                break;
            }
        }
        char *separator = cursor == NULL ? NULL : strstr(cursor, " - ");
        if (n < 5 || separator == NULL) {
            continue;
        }
        char *type = separator + 3;
        if (strncmp(type, "cgroup ", 7) != 0 && strncmp(type, "cgroup2 ", 8) != 0) {
            continue;
        }
        const char *at = fields[4];
        size_t length = strlen(at);
        if (strchr(at, '\\') != NULL || length <= best || length >= size) {
            continue; /* escaped characters: not a place Floe's cgroups are */
        }
        if (strncmp(dir, at, length) == 0 && (dir[length] == '/' || dir[length] == '\0')) {
            memcpy(point, at, length + 1);
            best = length;
        }
    }
    fclose(mounts);
    return best > 0;
}

/*
 * Shows the environment only its own cgroups: each of its cgroup directories is bound read-only over
 * the mount point of its hierarchy, so /sys/fs/cgroup/... lists its own limits and counters (where
 * runtimes look for them) and nothing of other environments or of the machine.
 */
static void own_cgroups_only(void) {
    for (char **file = cgroup_files; *file != NULL; file++) {
        char dir[4096];
        char point[4096];
        snprintf(dir, sizeof dir, "%s", *file);
        char *slash = strrchr(dir, '/');
        if (slash == NULL) {
            continue;
        }
        *slash = '\0';
        if (!cgroup_mount_point(dir, point, sizeof point) || strcmp(dir, point) == 0) {
            continue;
        }
        bind_read_only(dir, point, "binding its cgroup at");
    }
}

/*
 * Attaches the image to a free loop device that detaches itself on its last close, and returns an
 * open descriptor of the device: it must stay open until the mount holds the device.
 */
static int attach_loop(const char *image, char *device, size_t size) {
    int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    int backing = open(image, O_RDWR | O_CLOEXEC);
    if (control < 0) {
        fail("opening", "/dev/loop-control");
    }
    if (backing < 0) {
        fail("opening", image);
    }
    for (int attempt = 0; attempt < 64; attempt++) {
        int number = ioctl(control, LOOP_CTL_GET_FREE);
        if (number < 0) {
            fail("finding a free loop device", "");
        }
        snprintf(device, size, "/dev/loop%d", number);
        int loop = open(device, O_RDWR | O_CLOEXEC);
        if (loop < 0 && errno == ENOENT) {
            /* no device node (e.g. a container without udev): make it */
            if (mknod(device, S_IFBLK | 0660, makedev(7, (unsigned) number)) < 0 && errno != EEXIST) {
                fail("creating", device);
            }
            loop = open(device, O_RDWR | O_CLOEXEC);
        }
        if (loop < 0) {
            fail("opening", device);
        }
        struct loop_config config;
        memset(&config, 0, sizeof config);
        config.fd = (unsigned) backing;
        config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
        if (ioctl(loop, LOOP_CONFIGURE, &config) == 0) {
            close(backing);
            close(control);
            return loop;
        }
        if (errno == EINVAL || errno == ENOTTY) {
            /* kernels before 5.8: the two-step form */
            if (ioctl(loop, LOOP_SET_FD, backing) == 0) {
                struct loop_info64 info;
                memset(&info, 0, sizeof info);
                info.lo_flags = LO_FLAGS_AUTOCLEAR;
                if (ioctl(loop, LOOP_SET_STATUS64, &info) == 0) {
                    close(backing);
                    close(control);
                    return loop;
                }
                ioctl(loop, LOOP_CLR_FD, 0);
            }
        }
        if (errno != EBUSY) {
            fail("attaching a loop device to", image);
        }
        close(loop); /* another environment took this device first: try the next free one */
    }
    errno = EBUSY;
    fail("attaching a loop device to", image);
    return -1;
}

/* Mounts the environment's /tmp over another shared, writable place, so writes there count against /tmp's size. */
static void also_at(const char *place) {
    struct stat st;
    if (stat(place, &st) < 0 || !S_ISDIR(st.st_mode)) {
        return; /* the machine has no such place */
    }
    if (mount("/tmp", place, NULL, MS_BIND, NULL) < 0) {
        fail("mounting /tmp at", place);
    }
    if (mount(NULL, place, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) < 0) {
        fail("securing", place);
    }
}

/* Binds a directory read-only at a place, no setuid programs or devices through it. */
static void bind_read_only(const char *source, const char *place, const char *what) {
    if (mount(source, place, NULL, MS_BIND | MS_REC, NULL) < 0) {
        fail(what, place);
    }
    if (mount(NULL, place, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0) {
        fail("making read-only", place);
    }
}

/*
 * Lambda's Amazon Linux has bash as /bin/sh, and custom runtimes written for it rely on that (the
 * documented tutorial's bootstrap starts "#!/bin/sh" and says "set -euo pipefail" and "source"): where
 * the machine has bash, it is the environment's /bin/sh too.
 */
static void bash_as_sh(void) {
    struct stat st;
    if (stat("/bin/bash", &st) < 0 || !S_ISREG(st.st_mode) || stat("/bin/sh", &st) < 0) {
        return;
    }
    bind_read_only("/bin/bash", "/bin/sh", "binding /bin/bash at");
}

/* mount_setattr(2), Linux 5.12: one call changes every mount below a point. Defined here for older headers. */
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
struct floe_mount_attr {
    uint64_t attr_set;
    uint64_t attr_clr;
    uint64_t propagation;
    uint64_t userns_fd;
};
#define FLOE_MOUNT_ATTR_RDONLY 0x00000001
#define FLOE_AT_RECURSIVE 0x8000

/* Undoes mountinfo's escapes in place: the kernel writes space, tab, newline and backslash as \ooo. */
static void unescape(char *text) {
    char *out = text;
    for (char *in = text; *in != '\0'; out++) {
        if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' && in[3] >= '0' && in[3] <= '7') {
            *out = (char) ((in[1] - '0') << 6 | (in[2] - '0') << 3 | (in[3] - '0'));
            in += 4;
        } else {
            *out = *in++;
        }
    }
    *out = '\0';
}

/* Kernels before 5.12: every mount in turn, keeping its other flags. */
static void each_mount_read_only(void) {
    FILE *mounts = fopen("/proc/self/mountinfo", "re");
    if (mounts == NULL) {
        fail("opening", "/proc/self/mountinfo");
    }
    char *line = NULL;
    size_t size = 0;
    while (getline(&line, &size, mounts) > 0) {
        /* ID PARENT MAJOR:MINOR ROOT MOUNT_POINT OPTIONS ... */
        char *point = line;
        for (int field = 0; field < 4 && point != NULL; field++) {
            point = strchr(point, ' ');
            point = point == NULL ? NULL : point + 1;
        }
        char *end = point == NULL ? NULL : strchr(point, ' ');
        if (end == NULL) {
            continue;
        }
        *end = '\0';
        unescape(point);
        struct statvfs st;
        if (statvfs(point, &st) < 0) {
            continue; /* gone since */
        }
        unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
        flags |= (st.f_flag & ST_NOSUID ? MS_NOSUID : 0) | (st.f_flag & ST_NODEV ? MS_NODEV : 0)
                 | (st.f_flag & ST_NOEXEC ? MS_NOEXEC : 0) | (st.f_flag & ST_NOATIME ? MS_NOATIME : 0)
                 | (st.f_flag & ST_NODIRATIME ? MS_NODIRATIME : 0) | (st.f_flag & ST_RELATIME ? MS_RELATIME : 0);
        if (mount(NULL, point, NULL, flags, NULL) < 0) {
            fail("making read-only", point);
        }
    }
    free(line);
    fclose(mounts);
}

/*
 * Every mount the environment inherits from the machine becomes read-only (in its namespace only): a
 * function writes nowhere but where a mount made after this one lets it, however the machine's own
 * directories are permitted (/run/lock, /var/crash, a world-writable directory of the operator's).
 */
static void machine_read_only(void) {
    struct floe_mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = FLOE_MOUNT_ATTR_RDONLY;
    if (syscall(SYS_mount_setattr, AT_FDCWD, "/", FLOE_AT_RECURSIVE, &attr, sizeof attr) == 0) {
        return;
    }
    /* ENOSYS: a kernel before 5.12, or a seccomp filter that does not know the call; EPERM: one that refuses it. */
    if (errno != ENOSYS && errno != EPERM) {
        fail("making read-only", "the machine's filesystem");
    }
    each_mount_read_only();
}

/* A directory of the machine the operator shares with functions, writable at its own path. */
static void writable(const char *dir) {
    if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0) {
        fail("binding", dir);
    }
    if (mount(NULL, dir, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV, NULL) < 0) {
        fail("making writable", dir);
    }
}

static void private_mounts(const char *kind, const char *source, const char *megabytes, const char *code,
                           const char *root, const char *runtime, const char *lang, char **shared, int shared_count) {
    /*
     * The image is attached before the namespace: the loop device keeps it open for writing, which
     * would hold the namespace's copy of its mount writable (EBUSY when made read-only).
     */
    char device[64];
    int loop = strcmp(kind, "disk") == 0 ? attach_loop(source, device, sizeof device) : -1;
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWCGROUP) < 0) {
        fail("creating", "mount, IPC and cgroup namespaces");
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        fail("making mounts private in", "the namespace");
    }
    machine_read_only();
    /*
     * The machine's directories before the private ones: mounting /tmp (and /var/tmp, /dev/shm) next
     * would hide code, a runtime or an interpreter kept under them (a release unpacked in /tmp).
     */
    bind_read_only(code, root, "binding the code at");
    if (runtime[0] != '\0') {
        bind_read_only(runtime, RUNTIME_ROOT, "binding the runtime at");
    }
    if (lang[0] != '\0') {
        bind_read_only(lang, LANG_ROOT, "binding the interpreter at");
    }
    for (int i = 0; i < shared_count; i++) {
        writable(shared[i]);
    }
    if (loop >= 0) {
        if (mount(device, "/tmp", "ext4", MS_NOSUID | MS_NODEV, NULL) < 0) {
            fail("mounting /tmp from", source);
        }
        close(loop);
        rmdir("/tmp/lost+found");
        if (chmod("/tmp", 01777) < 0) {
            fail("setting the mode of", "/tmp");
        }
    } else {
        char options[64];
        snprintf(options, sizeof options, "size=%sm,mode=1777", megabytes);
        if (mount("floe-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
            fail("mounting a tmpfs on", "/tmp");
        }
    }
    also_at("/var/tmp");
    also_at("/dev/shm");
    bash_as_sh();
    own_cgroups_only();
    /* The /proc of its PID namespace: only the environment's own processes (no others' cmdlines, mounts). */
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
        fail("mounting", "/proc");
    }
}

/* Becomes uid:uid with no supplementary groups; after this, no capability is left and none can be gained. */
static void become(const char *user) {
    char *end;
    unsigned long uid = strtoul(user, &end, 10);
    if (*end != '\0' || uid > 4294967294UL) {
        errno = EINVAL;
        fail("reading the user id", user);
    }
    if (uid == 0) {
        return;
    }
    if (setgroups(0, NULL) < 0) {
        fail("dropping", "supplementary groups");
    }
    if (setresgid((gid_t) uid, (gid_t) uid, (gid_t) uid) < 0) {
        fail("becoming group", user);
    }
    if (setresuid((uid_t) uid, (uid_t) uid, (uid_t) uid) < 0) {
        fail("becoming user", user);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        fail("setting", "no_new_privs");
    }
}

static void limit_open_files(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) < 0) {
        fail("reading", "the open file limit");
    }
    rlim_t wanted = limit.rlim_max < MAX_OPEN_FILES ? limit.rlim_max : MAX_OPEN_FILES;
    limit.rlim_cur = wanted;
    limit.rlim_max = wanted;
    if (setrlimit(RLIMIT_NOFILE, &limit) < 0) {
        fail("limiting", "open files");
    }
}

/* Sets the parent-death signal and makes sure the parent was still alive once it was set. */
static void die_with_parent(pid_t parent, int alive) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
        fail("setting", "the parent-death signal");
    }
    if (alive >= 0) {
        /* In a new PID namespace getppid() says 0: the launcher's end of the pipe closes when it dies. */
        struct pollfd check = {.fd = alive, .events = POLLIN};
        if (poll(&check, 1, 0) != 0) {
            _exit(126);
        }
        close(alive);
    } else if (getppid() != parent) {
        _exit(126); /* the worker died before the signal was set */
    }
}

/*
 * The environment's init, pid 1 of its PID namespace: starts the runtime, reaps every orphan, and
 * ends with the runtime's status (the kernel then kills whatever the runtime left running).
 */
static void init(char **command, char **environment, const char *root) {
    pid_t runtime = fork();
    if (runtime < 0) {
        fail("starting", command[0]);
    }
    if (runtime == 0) {
        if (chdir(root) < 0) {
            fail("entering", root);
        }
        execve(command[0], command, environment);
        fail("starting", command[0]);
    }
    while (1) {
        int status;
        pid_t ended = wait(&status);
        if (ended < 0 && errno == EINTR) {
            continue;
        }
        if (ended < 0) {
            _exit(126);
        }
        if (ended == runtime) {
            _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
}

/* Set by the parent-death signal (SIGUSR1) or a request to stop (SIGTERM, SIGINT, SIGHUP). */
static volatile sig_atomic_t stop_requested;
/* The parent-death signal came: the worker's spawning thread ended, which it does only as the worker ends. */
static volatile sig_atomic_t worker_gone;
static volatile pid_t environment_init;
/* Each cgroup's directory; the signal handler may only use what is ready before it runs. */
static char cgroup_dirs[MAX_CGROUPS][4096];
static char kill_files[MAX_CGROUPS][4096];
static char thaw_files[MAX_CGROUPS][4096];

static void write_control(const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, value, strlen(value)) < 0) {
            /* nothing more to do here: the next worker's sweep removes what is left */
        }
        close(fd);
    }
}

/*
 * Kills the environment: its init (the kernel then kills its PID namespace), every member of its
 * cgroups through cgroup.kill, and thaws a v1 freezer, whose frozen tasks die only once thawed.
 * Only async-signal-safe calls: it runs in the signal handler.
 */
static void kill_environment(void) {
    if (environment_init > 0) {
        kill(environment_init, SIGKILL);
    }
    for (int i = 0; cgroup_files[i] != NULL; i++) {
        write_control(kill_files[i], "1");
        write_control(thaw_files[i], "THAWED");
    }
}

static void request_stop(int signal) {
    int saved = errno;
    if (signal == SIGUSR1) {
        worker_gone = 1;
    }
    stop_requested = 1;
    kill_environment();
    errno = saved;
}

static void prepare_tear_down(void) {
    for (int i = 0; cgroup_files[i] != NULL; i++) {
        snprintf(cgroup_dirs[i], sizeof cgroup_dirs[i], "%s", cgroup_files[i]);
        char *slash = strrchr(cgroup_dirs[i], '/');
        if (slash != NULL) {
            *slash = '\0';
        }
        snprintf(kill_files[i], sizeof kill_files[i], "%s/cgroup.kill", cgroup_dirs[i]);
        snprintf(thaw_files[i], sizeof thaw_files[i], "%s/freezer.state", cgroup_dirs[i]);
    }
}

/* Whether the cgroup whose cgroup.procs is FILE has no process left (or is gone). */
static int cgroup_empty(const char *file) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 1;
    }
    char byte;
    ssize_t n = read(fd, &byte, 1);
    close(fd);
    return n <= 0;
}

/*
 * The worker is gone (or everything was asked to stop) and the environment was killed: waits for
 * its cgroups to empty and removes them; with the worker dead, also the worker's cgroup subtree
 * once its last environment is gone. Nothing then remains of the environment: its mounts went with
 * its mount namespace, its loop device with its mount.
 */
static int tear_down(pid_t parent) {
    kill_environment();
    /* While the worker's threads end, its pid may still be this process's parent: the signal says it. */
    if (getppid() != parent) {
        worker_gone = 1;
    }
    for (int i = 0; cgroup_files[i] != NULL; i++) {
        for (int wait = 0; wait < 300 && !cgroup_empty(cgroup_files[i]); wait++) {
            usleep(10000);
        }
        char *dir = cgroup_dirs[i];
        rmdir(dir);
        if (worker_gone) {
            /* <own>/floe/<worker>/<environment>: the last environment out removes its worker's and floe's directories */
            char *slash;
            for (int up = 0; up < 2 && (slash = strrchr(dir, '/')) != NULL; up++) {
                *slash = '\0';
                if (rmdir(dir) < 0) {
                    break;
                }
            }
        }
    }
    return 128 + SIGKILL;
}

int main(int argc, char **argv) {
    /* Options first: --lang DIR (an interpreter's installation, at /var/lang), --writable DIR (repeatable). */
    const char *lang = "";
    char *shared[MAX_WRITABLE];
    int shared_count = 0;
    while (argc > 2 && (strcmp(argv[1], "--lang") == 0 || strcmp(argv[1], "--writable") == 0)) {
        if (strcmp(argv[1], "--lang") == 0) {
            lang = argv[2];
        } else if (shared_count < MAX_WRITABLE) {
            shared[shared_count++] = argv[2];
        } else {
            errno = E2BIG;
            fail("sharing", argv[2]);
        }
        argc -= 2;
        argv += 2;
    }
    if (argc < 12 || strcmp(argv[10], "--") != 0) {
        fprintf(stderr, "usage: floe-env-launch [--lang DIR] [--writable DIR]... PROCS TMP_KIND TMP_SOURCE TMP_MB CODE"
                        " TASK_ROOT RUNTIME UID ENV_FILE -- COMMAND [ARG]...\n");
        return 2;
    }
    char *procs = argv[1];
    const char *kind = argv[2];
    const char *source = argv[3];
    const char *megabytes = argv[4];
    const char *code = argv[5];
    const char *root = argv[6];
    const char *runtime = argv[7];
    const char *user = argv[8];
    char **environment = read_environment(argv[9]);
    char **command = argv + 11;
    pid_t parent = getppid();

    split_cgroups(procs);
    if (setsid() < 0) {
        fail("starting", "a session");
    }
    if (strcmp(kind, "disk") != 0 && strcmp(kind, "tmpfs") != 0) {
        /* No namespaces: the launcher becomes the runtime. */
        join_cgroups();
        limit_open_files();
        become(user);
        /* After become(): the kernel clears the parent-death signal when the credentials change. */
        die_with_parent(parent, -1);
        if (chdir(root) < 0) {
            fail("entering", root);
        }
        execve(command[0], command, environment);
        fail("starting", command[0]);
    }

    /*
     * The launcher keeps its credentials, so the parent-death signal set now stays. It is caught: the
     * launcher then tears the environment down and removes its cgroups (if the launcher itself is
     * killed, its init still dies with it, and the cgroups wait for the next worker's sweep).
     */
    struct sigaction stop;
    memset(&stop, 0, sizeof stop);
    stop.sa_handler = request_stop;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGUSR1, &stop, NULL);
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGHUP, &stop, NULL);
    if (prctl(PR_SET_PDEATHSIG, SIGUSR1) < 0) {
        fail("setting", "the parent-death signal");
    }
    if (getppid() != parent) {
        return 126; /* the worker died before the signal was set */
    }
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0) {
        fail("creating", "a pipe");
    }
    if (unshare(CLONE_NEWPID) < 0) {
        fail("creating", "a PID namespace");
    }
    prepare_tear_down();
    pid_t init_pid = fork();
    if (init_pid < 0) {
        fail("starting", "the environment's init");
    }
    if (init_pid == 0) {
        /* As pid 1 it ignores what its namespace sends it unless it handles it: it handles nothing. */
        signal(SIGUSR1, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        close(alive[1]);
        join_cgroups();
        private_mounts(kind, source, megabytes, code, root, runtime, lang, shared, shared_count);
        limit_open_files();
        become(user);
        die_with_parent(0, alive[0]);
        init(command, environment, root);
    }
    close(alive[0]);
    environment_init = init_pid;
    if (stop_requested) {
        kill_environment();
    }
    /* Signals for the environment reach it through its cgroups; the launcher reports how it ended. */
    while (1) {
        int status;
        pid_t ended = waitpid(init_pid, &status, 0);
        if (ended < 0 && errno == EINTR) {
            continue;
        }
        if (stop_requested) {
            return tear_down(parent);
        }
        if (ended == init_pid) {
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return 126;
    }
}
