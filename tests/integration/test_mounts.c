/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The mount and pin helpers and the feature probe against the real kernel
 * (root): bpffs mounted in temp directories, pin directories created and
 * removed, tracefs and cgroup2 found, and what this machine offers.
 *
 * Every test works below one temp directory that an unchecked fixture
 * creates and, in the parent process (so also after a failed or crashed
 * test), unmounts and removes.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/bpf.h>

#include <ebpfnet/ebpfnet.h>

#include "internal.h"
#include "priv.h"

static char base[PATH_MAX];
static bool tracefs_was_mounted;
static bool forking; /* each test runs in its own child process */

/* ---- helpers ------------------------------------------------------------- */

static bool fs_magic_is(const char *path, uint32_t magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (uint32_t)st.f_type == magic;
}

/* /proc/self/mountinfo escapes space, tab, newline, backslash as \ooo. */
static void unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] && s[2] && s[3]) {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/*
 * Call fn(mount point) for every mount whose mount point is `prefix` (or,
 * with below = true, lies under prefix + "/"). Returns how many matched.
 */
static int for_each_mount(const char *prefix, bool below,
			  void (*fn)(const char *point))
{
	char line[4096], point[PATH_MAX];
	size_t n = strlen(prefix);
	int count = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -1;
	/* "<id> <parent> <maj:min> <root> <mount point> ..." */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1)
			continue;
		unescape(point);
		if (below ? strncmp(point, prefix, n) || point[n] != '/'
			  : strcmp(point, prefix))
			continue;
		count++;
		if (fn)
			fn(point);
	}
	fclose(f);
	return count;
}

static int mounts_at(const char *path)
{
	return for_each_mount(path, false, NULL);
}

static void detach(const char *point)
{
	umount2(point, MNT_DETACH);
}

static int remove_entry(const char *path, const struct stat *st, int type,
			struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

static void make_base(void)
{
	char tmpl[] = "/tmp/ebpfnet-test-mounts-XXXXXX";
	char tracefs[PATH_MAX];

	/* Runs in the parent, outside any test: fail the run plainly. */
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(base, sizeof(base), "%s", tmpl);
	tracefs_was_mounted = ebpfnet__find_mount("tracefs", tracefs,
						  sizeof(tracefs)) == 0;
}

static void remove_base(void)
{
	char tracefs[PATH_MAX];
	int rounds;

	/* Stacked mounts need several passes; deepest first is not needed
	 * with MNT_DETACH. */
	for (rounds = 0; rounds < 8 && for_each_mount(base, true, detach) > 0;
	     rounds++)
		;
	nftw(base, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	/* A tracefs the library mounted for us goes again. */
	if (!tracefs_was_mounted &&
	    ebpfnet__find_mount("tracefs", tracefs, sizeof(tracefs)) == 0)
		umount2(tracefs, MNT_DETACH);
}

/* dir + "/" + name into buf (PATH_MAX bytes) */
static const char *join(char *buf, const char *dir, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		ck_abort_msg("path too long");
	return buf;
}

static const char *in_base(char *buf, const char *name)
{
	return join(buf, base, name);
}

static char last_warning[1024];

static void keep_warning(enum ebpfnet_print_level level, const char *msg)
{
	if (level == EBPFNET_PRINT_WARN)
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

/* ---- bpffs --------------------------------------------------------------- */

START_TEST(test_mount_bpffs_fresh)
{
	char dir[PATH_MAX], inner[PATH_MAX], found[PATH_MAX];

	/* Missing, with a space in the name (escaped in /proc/mounts). */
	in_base(dir, "bpf fresh/sub");
	ck_assert_int_eq(ebpfnet_mount_bpffs(dir), 0);
	ck_assert(fs_magic_is(dir, BPF_FS_MAGIC));
	ck_assert_int_eq(mounts_at(dir), 1);

	/* Already a bpffs: nothing mounted twice. */
	ck_assert_int_eq(ebpfnet_mount_bpffs(dir), 0);
	ck_assert_int_eq(mounts_at(dir), 1);

	/* A directory inside a bpffs counts as one. */
	join(inner, dir, "inner");
	ck_assert_int_eq(mkdir(inner, 0700), 0);
	ck_assert_int_eq(ebpfnet_mount_bpffs(inner), 0);
	ck_assert_int_eq(mounts_at(inner), 0);

	/* Whichever bpffs /proc/mounts lists first, its decoded path is one. */
	ck_assert_int_eq(ebpfnet__find_mount("bpf", found, sizeof(found)), 0);
	ck_assert_msg(fs_magic_is(found, BPF_FS_MAGIC), "found [%s]", found);
}
END_TEST

START_TEST(test_mount_bpffs_refuses)
{
	char file[PATH_MAX], full[PATH_MAX], below_file[PATH_MAX];
	int fd;

	in_base(file, "regular");
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	errno = 0;
	ck_assert_int_eq(ebpfnet_mount_bpffs(file), -ENOTDIR);
	ck_assert_int_eq(errno, ENOTDIR);
	ck_assert_int_eq(mounts_at(file), 0);

	/* A path through a regular file cannot be created. */
	join(below_file, file, "x");
	ck_assert_int_eq(ebpfnet_mount_bpffs(below_file), -ENOTDIR);

	/* Mounting over a non-empty directory would hide its files. */
	in_base(full, "full");
	ck_assert_int_eq(mkdir(full, 0700), 0);
	join(below_file, full, "keep");
	fd = open(below_file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ebpfnet_mount_bpffs(full), -EEXIST);
	ck_assert_int_eq(mounts_at(full), 0);
}
END_TEST

/* ---- pin directories ----------------------------------------------------- */

START_TEST(test_pin_dir_on_bpffs)
{
	char fs[PATH_MAX], root[PATH_MAX], dir[PATH_MAX], other[PATH_MAX];
	char pin[PATH_MAX], want[PATH_MAX];
	struct stat st;
	int map_fd;

	in_base(fs, "pinfs");
	ck_assert_int_eq(ebpfnet_mount_bpffs(fs), 0);
	join(root, fs, "ebpfnet/"); /* trailing '/' */

	ck_assert_int_eq(ebpfnet__pin_dir(root, "hello", "eth0", dir,
					  sizeof(dir)), 0);
	join(want, fs, "ebpfnet/hello/eth0");
	ck_assert_str_eq(dir, want);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	/* Again: already there is fine. */
	ck_assert_int_eq(ebpfnet__pin_dir(root, "hello", "eth0", dir,
					  sizeof(dir)), 0);
	ck_assert_int_eq(ebpfnet__pin_dir(root, "hello", "eth1", other,
					  sizeof(other)), 0);
	ck_assert_int_eq(ebpfnet__pin_dir(root, "drop", NULL, want,
					  sizeof(want)), 0);

	/* A pin in eth0: cleanup removes it with its directory... */
	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	ck_assert_int_ge(map_fd, 0);
	join(pin, dir, "counters");
	ck_assert_int_eq(bpf_obj_pin(map_fd, pin), 0);
	close(map_fd);
	ebpfnet__pin_dir_cleanup(root, dir);
	ck_assert_int_ne(stat(dir, &st), 0);
	/* ...but hello stays while eth1 is in it. */
	join(want, fs, "ebpfnet/hello");
	ck_assert_int_eq(stat(want, &st), 0);

	ebpfnet__pin_dir_cleanup(root, other);
	ck_assert_int_ne(stat(want, &st), 0);
	/* The pin root itself is never removed. */
	ck_assert_int_eq(stat(root, &st), 0);
}
END_TEST

START_TEST(test_pin_dir_not_bpffs)
{
	char plain[PATH_MAX], root[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	in_base(plain, "plain");
	join(root, plain, "pins");
	ebpfnet_set_print(keep_warning);
	errno = 0;
	ck_assert_int_eq(ebpfnet__pin_dir(root, "hello", "eth0", dir,
					  sizeof(dir)), -EINVAL);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_msg(strstr(last_warning, "is not on a bpffs") &&
		      strstr(last_warning, "mount -t bpf bpf") &&
		      strstr(last_warning, root),
		      "warning: [%s]", last_warning);
	/* Nothing was created. */
	ck_assert_int_ne(stat(plain, &st), 0);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

/* ---- tracefs and cgroup2 --------------------------------------------------- */

START_TEST(test_mount_tracefs)
{
	char path[PATH_MAX], tiny[4];

	ck_assert_int_eq(ebpfnet_mount_tracefs(path, sizeof(path)), 0);
	ck_assert_msg(fs_magic_is(path, TRACEFS_MAGIC), "path [%s]", path);
	ck_assert(ebpfnet__is_tracefs(path));
	ck_assert_int_eq(ebpfnet_mount_tracefs(tiny, sizeof(tiny)),
			 -ENAMETOOLONG);
}
END_TEST

START_TEST(test_open_cgroup2)
{
	char cgroup2[PATH_MAX], missing[PATH_MAX], file[PATH_MAX];
	struct statfs st;
	int fd;

	if (ebpfnet__find_mount("cgroup2", cgroup2, sizeof(cgroup2)))
		ck_abort_msg("no cgroup2 mounted on this machine");
	fd = ebpfnet__open_cgroup2(cgroup2);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstatfs(fd, &st), 0);
	ck_assert_uint_eq((uint32_t)st.f_type, CGROUP2_SUPER_MAGIC);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	ck_assert(ebpfnet__is_cgroup2(cgroup2));

	ck_assert_int_eq(ebpfnet__open_cgroup2("/tmp"), -EINVAL);
	ck_assert_int_eq(ebpfnet__open_cgroup2(in_base(missing, "missing")),
			 -ENOENT);
	in_base(file, "file");
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(ebpfnet__open_cgroup2(file), -ENOTDIR);
}
END_TEST

/* ---- in a private mount namespace ----------------------------------------- */

/*
 * Move this test's process (a child of the runner) into a mount namespace
 * of its own, whose mounts do not propagate back: what the test mounts or
 * unmounts there, even at system paths, vanishes with the process.
 */
static bool enter_private_mount_ns(void)
{
	if (!forking) {
		/* CK_FORK=no (debugging): the namespace would outlive the
		 * test and hide the other tests' mounts from the teardown. */
		fprintf(stderr, "%s: skipped, needs CK_FORK=yes\n", tcase_name());
		return false;
	}
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	return true;
}

/* Unmount every mount of `fstype` (in this namespace only). */
static void unmount_all(const char *fstype)
{
	char point[PATH_MAX];
	int rounds = 0;

	while (ebpfnet__find_mount(fstype, point, sizeof(point)) == 0) {
		ck_assert_msg(umount2(point, MNT_DETACH) == 0 && rounds++ < 16,
			      "cannot unmount %s at %s", fstype, point);
	}
}

START_TEST(test_pin_dir_mounts_sys_fs_bpf)
{
	char dir[PATH_MAX];

	if (!enter_private_mount_ns())
		return;
	unmount_all("bpf");
	ck_assert(!fs_magic_is("/sys/fs/bpf", BPF_FS_MAGIC));

	/* DESIGN.md: a pin root below /sys/fs/bpf gets a bpffs there. */
	ck_assert_int_eq(ebpfnet__pin_dir("/sys/fs/bpf/ebpfnet-test", "hello",
					  "eth0", dir, sizeof(dir)), 0);
	ck_assert_str_eq(dir, "/sys/fs/bpf/ebpfnet-test/hello/eth0");
	ck_assert(fs_magic_is("/sys/fs/bpf", BPF_FS_MAGIC));
	ck_assert_int_eq(mounts_at("/sys/fs/bpf"), 1);
	ck_assert(fs_magic_is(dir, BPF_FS_MAGIC));
}
END_TEST

START_TEST(test_mount_tracefs_debugfs_fallback)
{
	char path[PATH_MAX];

	if (!enter_private_mount_ns())
		return;
	unmount_all("tracefs");
	unmount_all("debugfs");
	/* An old kernel's /sys/kernel: no "tracing" directory to mount on. */
	ck_assert_int_eq(mount("tmpfs", "/sys/kernel", "tmpfs", 0, "mode=0755"),
			 0);
	ck_assert_int_eq(mkdir("/sys/kernel/debug", 0700), 0);

	ck_assert_int_eq(ebpfnet_mount_tracefs(path, sizeof(path)), 0);
	ck_assert_str_eq(path, "/sys/kernel/debug/tracing");
	ck_assert(fs_magic_is("/sys/kernel/debug", DEBUGFS_MAGIC));
	ck_assert(fs_magic_is(path, TRACEFS_MAGIC));
}
END_TEST

/* ---- feature probe ------------------------------------------------------- */

#define MAX_IDS 8192

struct id_set {
	__u32 ids[MAX_IDS];
	int n;
};

/* How to walk and inspect one kind of BPF object (programs, maps). */
struct bpf_kind {
	int (*next_id)(__u32 start, __u32 *next);
	int (*fd_by_id)(__u32 id);
	size_t info_size;
	size_t name_off;
};

static const struct bpf_kind progs = {
	bpf_prog_get_next_id, bpf_prog_get_fd_by_id,
	sizeof(struct bpf_prog_info), offsetof(struct bpf_prog_info, name),
};
static const struct bpf_kind maps = {
	bpf_map_get_next_id, bpf_map_get_fd_by_id,
	sizeof(struct bpf_map_info), offsetof(struct bpf_map_info, name),
};

static void collect_ids(const struct bpf_kind *kind, struct id_set *set)
{
	__u32 id = 0;

	set->n = 0;
	while (set->n < MAX_IDS && kind->next_id(id, &id) == 0)
		set->ids[set->n++] = id;
}

static bool has_id(const struct id_set *set, __u32 id)
{
	int i;

	for (i = 0; i < set->n; i++)
		if (set->ids[i] == id)
			return true;
	return false;
}

/* Whether the object `id` still exists and has no name, as the probes'
 * programs and maps have. */
static bool exists_unnamed(const struct bpf_kind *kind, __u32 id)
{
	union {
		struct bpf_prog_info prog;
		struct bpf_map_info map;
	} info;
	__u32 len = (__u32)kind->info_size;
	bool unnamed = false;
	int fd = kind->fd_by_id(id);

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
		unnamed = ((char *)&info)[kind->name_off] == '\0';
	close(fd);
	return unnamed;
}

/*
 * Objects that appeared since `before` and are still there after a pause
 * and unnamed. On a quiet machine that is "the count is unchanged"; the
 * filters keep other tests running at the same time (named skeleton
 * objects, short-lived libbpf probes) from counting.
 */
static int leftovers(const struct bpf_kind *kind, const struct id_set *before)
{
	static struct id_set after;
	int i, n = 0;

	collect_ids(kind, &after);
	usleep(300 * 1000);
	for (i = 0; i < after.n; i++) {
		if (has_id(before, after.ids[i]) ||
		    !exists_unnamed(kind, after.ids[i]))
			continue;
		fprintf(stderr, "left behind: id %u\n", after.ids[i]);
		n++;
	}
	return n;
}

START_TEST(test_probe_features)
{
	static struct id_set progs_before, maps_before;
	EBPFNET_OPTS(ebpfnet_features, f);
	char cgroup2[PATH_MAX];
	struct utsname uts;

	collect_ids(&progs, &progs_before);
	collect_ids(&maps, &maps_before);
	ck_assert_int_eq(ebpfnet_probe_features(&f), 0);
	ck_assert_uint_eq(f.sz, sizeof(f));

	ck_assert_int_eq(uname(&uts), 0);
	ck_assert_str_eq(f.kernel_release, uts.release);
	ck_assert(f.bpf_syscall);
	ck_assert(f.btf);
	ck_assert(f.ringbuf);
	ck_assert(f.tracepoint);
	ck_assert(f.raw_tracepoint);
	ck_assert(f.xdp);
	ck_assert(f.tc);
	ck_assert(f.cgroup_sock_addr);
	ck_assert(f.cgroup2);
	ck_assert_int_eq(ebpfnet__find_mount("cgroup2", cgroup2, sizeof(cgroup2)),
			 0);
	ck_assert_str_eq(f.cgroup2_path, cgroup2);
	ck_assert(f.cap_sys_admin && f.cap_bpf && f.cap_perfmon &&
		  f.cap_net_admin);
	/* This machine's kernel has CONFIG_KPROBES off, and loading fentry
	 * programs fails with EPERM (DESIGN.md, "Kernel facts"): the probe
	 * must see both as missing. On another kernel these two asserts
	 * are the ones to revisit. */
	ck_assert(!f.kprobe);
	ck_assert(!f.fentry);

	/* Probing leaves no program or map behind. */
	ck_assert_int_eq(leftovers(&progs, &progs_before), 0);
	ck_assert_int_eq(leftovers(&maps, &maps_before), 0);
}
END_TEST

START_TEST(test_probe_features_older_struct)
{
	union {
		struct ebpfnet_features f;
		unsigned char bytes[sizeof(struct ebpfnet_features)];
	} u;
	size_t sz = offsetofend(struct ebpfnet_features, btf), i;

	memset(&u, 0xaa, sizeof(u));
	u.f.sz = sz;
	ck_assert_int_eq(ebpfnet_probe_features(&u.f), 0);
	ck_assert_uint_eq(u.f.sz, sz);
	ck_assert(u.f.bpf_syscall && u.f.btf);
	for (i = sz; i < sizeof(u.bytes); i++)
		ck_assert_uint_eq(u.bytes[i], 0xaa);
}
END_TEST

static Suite *mounts_suite(void)
{
	Suite *s = suite_create("mounts");
	TCase *tc = tcase_create("mounts");

	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mount_bpffs_fresh);
	tcase_add_test(tc, test_mount_bpffs_refuses);
	tcase_add_test(tc, test_pin_dir_on_bpffs);
	tcase_add_test(tc, test_pin_dir_not_bpffs);
	tcase_add_test(tc, test_mount_tracefs);
	tcase_add_test(tc, test_open_cgroup2);
	tcase_add_test(tc, test_pin_dir_mounts_sys_fs_bpf);
	tcase_add_test(tc, test_mount_tracefs_debugfs_fallback);
	tcase_add_test(tc, test_probe_features);
	tcase_add_test(tc, test_probe_features_older_struct);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	test_require_root();
	sr = srunner_create(mounts_suite());
	forking = srunner_fork_status(sr) == CK_FORK;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
