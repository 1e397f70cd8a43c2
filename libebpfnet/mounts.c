/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The file systems BPF needs (bpffs for pins, tracefs for tracepoints,
 * cgroup2 for cgroup hooks): finding them, mounting them where the library
 * may, and the pin directories every object uses.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "internal.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"
#define TRACEFS_DEFAULT "/sys/kernel/tracing"
#define DEBUGFS_DEFAULT "/sys/kernel/debug"
#define TRACEFS_IN_DEBUGFS "/sys/kernel/debug/tracing"

/* Longest object or scope name (an interface name is at most 15). */
#define PIN_NAME_MAX 64

/* Serializes this process's check-then-mount sequences, so two threads do
 * not mount the same file system twice. */
static pthread_mutex_t mount_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- checks ------------------------------------------------------------ */

/* File system magics are 32-bit; f_type is a signed word on some ABIs. */
static bool statfs_is(const struct statfs *st, uint32_t magic)
{
	return (uint32_t)st->f_type == magic;
}

static bool path_is_fs(const char *path, uint32_t magic)
{
	struct statfs st;

	return path && statfs(path, &st) == 0 && statfs_is(&st, magic);
}

bool ebpfnet__is_bpffs(const char *path)
{
	return path_is_fs(path, BPF_FS_MAGIC);
}

bool ebpfnet__is_tracefs(const char *path)
{
	return path_is_fs(path, TRACEFS_MAGIC);
}

bool ebpfnet__is_cgroup2(const char *path)
{
	return path_is_fs(path, CGROUP2_SUPER_MAGIC);
}

/* `what` names the argument in the logged reason. */
static int check_abs_path(const char *what, const char *path)
{
	if (!path || !*path) {
		pr_warn("%s: no path given", what);
		return -EINVAL;
	}
	if (path[0] != '/') {
		pr_warn("%s: path '%s' is not absolute", what, path);
		return -EINVAL;
	}
	if (strlen(path) >= PATH_MAX) {
		pr_warn("%s: path is longer than %d bytes", what, PATH_MAX - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* An object or scope name becomes one path component. */
static int check_name(const char *what, const char *name)
{
	if (!name || !*name) {
		pr_warn("pin directory: %s name is empty", what);
		return -EINVAL;
	}
	if (strnlen(name, PIN_NAME_MAX + 1) > PIN_NAME_MAX) {
		pr_warn("pin directory: %s name is longer than %d bytes", what,
			PIN_NAME_MAX);
		return -ENAMETOOLONG;
	}
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..")) {
		pr_warn("pin directory: %s name '%s' is not a plain file name",
			what, name);
		return -EINVAL;
	}
	return 0;
}

/* ---- paths ------------------------------------------------------------- */

/* Cut an absolute path to its parent ("/a/b/" -> "/a"); false at "/". */
static bool cut_last_component(char *path)
{
	size_t n = strlen(path), before = n;

	while (n > 1 && path[n - 1] == '/')
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0 || n == before)
		return false;
	path[n] = '\0';
	return true;
}

/* Length of a path without its trailing slashes; "/" counts as 0, so that
 * "<root>/<name>" never starts with "//". */
static size_t trimmed_len(const char *path)
{
	size_t n = strlen(path);

	while (n > 0 && path[n - 1] == '/')
		n--;
	return n;
}

static bool is_under(const char *path, const char *dir)
{
	size_t n = trimmed_len(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static bool has_dot_dot(const char *path)
{
	const char *p = path;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
		p += 2;
	}
	return false;
}

/* Remove the `created` deepest directories of `path` (undoing mkdir_p). */
static void undo_mkdir_p(const char *path, int created)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	while (created-- > 0) {
		if (rmdir(buf) && errno != ENOENT)
			return;
		if (!cut_last_component(buf))
			return;
	}
}

/*
 * mkdir -p: create `path` and its missing parents with `mode`. *created is
 * the number of directories made (they are always the deepest ones), for
 * undo_mkdir_p(). On failure nothing stays created. path is absolute and
 * shorter than PATH_MAX.
 */
static int mkdir_p(const char *path, mode_t mode, int *created)
{
	char buf[PATH_MAX];
	size_t len = strlen(path), i;
	struct stat st;
	int err;

	*created = 0;
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if ((buf[i] != '/' && buf[i] != '\0') || buf[i - 1] == '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) == 0) {
			(*created)++;
		} else if (errno != EEXIST || stat(buf, &st) || !S_ISDIR(st.st_mode)) {
			err = errno == EEXIST ? -ENOTDIR : -errno;
			pr_warn("cannot create directory %s: %s", buf,
				ebpfnet_strerror(err));
			/* buf's own component failed: the ones made are above. */
			if (cut_last_component(buf))
				undo_mkdir_p(buf, *created);
			*created = 0;
			return err;
		}
		buf[i] = path[i];
	}
	return 0;
}

static bool dir_is_empty(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!dir)
		return true; /* mount(2) will say what is wrong */
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(dir);
	return empty;
}

/* ---- /proc/mounts ------------------------------------------------------ */

/* /proc/mounts writes space, tab, newline and backslash as \ooo. */
static void decode_octal_escapes(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

int ebpfnet__find_mount(const char *fstype, char *buf, size_t len)
{
	char *line = NULL, *save, *dir, *type;
	size_t cap = 0;
	int err = -ENOENT;
	FILE *f;

	if (!fstype || !*fstype || !buf || !len) {
		pr_warn("find mount: NULL or empty argument");
		return ebpfnet__err(-EINVAL);
	}
	f = fopen("/proc/mounts", "re");
	if (!f) {
		err = -errno;
		pr_warn("cannot read /proc/mounts: %s", ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	/* "<device> <mount point> <type> <options> 0 0" */
	while (getline(&line, &cap, f) > 0) {
		if (!strtok_r(line, " ", &save))
			continue;
		dir = strtok_r(NULL, " ", &save);
		type = strtok_r(NULL, " ", &save);
		if (!dir || !type || strcmp(type, fstype))
			continue;
		decode_octal_escapes(dir);
		if (strlen(dir) >= len) {
			pr_warn("%s mount point %s does not fit in %zu bytes",
				fstype, dir, len);
			err = -ENAMETOOLONG;
		} else {
			strcpy(buf, dir);
			err = 0;
		}
		break;
	}
	free(line);
	fclose(f);
	if (err == -ENOENT)
		pr_debug("no %s file system is mounted", fstype);
	return ebpfnet__err(err);
}

/* ---- bpffs ------------------------------------------------------------- */

static int mount_bpffs_locked(const char *path)
{
	struct stat st;
	int created = 0, err;

	if (stat(path, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			pr_warn("bpffs: %s exists and is not a directory", path);
			return -ENOTDIR;
		}
		if (ebpfnet__is_bpffs(path)) {
			pr_debug("bpffs: %s is on a bpffs already", path);
			return 0;
		}
		if (!dir_is_empty(path)) {
			pr_warn("bpffs: %s is a non-empty directory: a bpffs mounted there would hide its contents",
				path);
			return -EEXIST;
		}
	} else if (errno == ENOENT) {
		err = mkdir_p(path, 0755, &created);
		if (err)
			return err;
	} else {
		err = -errno;
		pr_warn("bpffs: %s: %s", path, ebpfnet_strerror(err));
		return err;
	}
	if (mount("bpf", path, "bpf", 0, "mode=0700")) {
		err = -errno;
		undo_mkdir_p(path, created);
		pr_warn("bpffs: cannot mount a bpffs at %s: %s%s", path,
			ebpfnet_strerror(err),
			err == -EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		return err;
	}
	pr_info("bpffs: mounted a bpffs at %s", path);
	return 0;
}

int ebpfnet_mount_bpffs(const char *path)
{
	int err = check_abs_path("bpffs", path);

	if (err)
		return ebpfnet__err(err);
	pthread_mutex_lock(&mount_lock);
	err = mount_bpffs_locked(path);
	pthread_mutex_unlock(&mount_lock);
	return ebpfnet__err(err);
}

/* ---- tracefs ----------------------------------------------------------- */

/* Old kernels only have tracefs inside debugfs. Mounts debugfs when it is
 * not there (and unmounts it again when the rest fails). */
static int mount_tracefs_in_debugfs(void)
{
	bool mounted_debugfs = false;
	int err;

	if (!path_is_fs(DEBUGFS_DEFAULT, DEBUGFS_MAGIC)) {
		if (mount("debugfs", DEBUGFS_DEFAULT, "debugfs", 0, NULL)) {
			err = -errno;
			pr_warn("tracefs: cannot mount debugfs at %s: %s",
				DEBUGFS_DEFAULT, ebpfnet_strerror(err));
			return err;
		}
		mounted_debugfs = true;
	}
	/* Mounting debugfs usually brings tracefs along (automount). */
	if (ebpfnet__is_tracefs(TRACEFS_IN_DEBUGFS))
		return 0;
	if (mount("tracefs", TRACEFS_IN_DEBUGFS, "tracefs", 0, NULL)) {
		err = -errno;
		pr_warn("tracefs: cannot mount a tracefs at %s: %s",
			TRACEFS_IN_DEBUGFS, ebpfnet_strerror(err));
		if (mounted_debugfs)
			umount2(DEBUGFS_DEFAULT, MNT_DETACH);
		return err;
	}
	return 0;
}

/* The path of a tracefs, mounting one when there is none. */
static int find_or_mount_tracefs(char *out, size_t len)
{
	int err;

	if (ebpfnet__find_mount("tracefs", out, len) == 0 &&
	    ebpfnet__is_tracefs(out))
		return 0;
	if (mount("tracefs", TRACEFS_DEFAULT, "tracefs", 0, NULL) == 0) {
		pr_info("tracefs: mounted a tracefs at %s", TRACEFS_DEFAULT);
		snprintf(out, len, "%s", TRACEFS_DEFAULT);
		return 0;
	}
	err = -errno;
	if (err == -EPERM) {
		/* The fallback would be refused just the same. */
		pr_warn("tracefs: none is mounted and mounting one at %s failed: %s (needs CAP_SYS_ADMIN)",
			TRACEFS_DEFAULT, ebpfnet_strerror(err));
		return err;
	}
	pr_debug("tracefs: cannot mount at %s: %s; trying %s",
		 TRACEFS_DEFAULT, ebpfnet_strerror(err), TRACEFS_IN_DEBUGFS);
	err = mount_tracefs_in_debugfs();
	if (err)
		return err;
	pr_info("tracefs: mounted a tracefs at %s", TRACEFS_IN_DEBUGFS);
	snprintf(out, len, "%s", TRACEFS_IN_DEBUGFS);
	return 0;
}

int ebpfnet_mount_tracefs(char *path, size_t len)
{
	char found[PATH_MAX];
	int err;

	if (!path || !len) {
		pr_warn("tracefs: NULL or empty output buffer");
		return ebpfnet__err(-EINVAL);
	}
	pthread_mutex_lock(&mount_lock);
	err = find_or_mount_tracefs(found, sizeof(found));
	pthread_mutex_unlock(&mount_lock);
	if (err)
		return ebpfnet__err(err);
	if (strlen(found) >= len) {
		pr_warn("tracefs: path %s does not fit in %zu bytes", found, len);
		return ebpfnet__err(-ENAMETOOLONG);
	}
	strcpy(path, found);
	return 0;
}

/* ---- pin directories --------------------------------------------------- */

/* Whether `path`, or its nearest existing ancestor when it does not exist
 * yet, is on a bpffs (directories made there will be). */
static bool lies_on_bpffs(const char *path)
{
	char probe[PATH_MAX];
	struct stat st;

	snprintf(probe, sizeof(probe), "%s", path);
	while (stat(probe, &st)) {
		if (errno != ENOENT || !cut_last_component(probe))
			return false;
	}
	return ebpfnet__is_bpffs(probe);
}

/* DESIGN.md: check that pin_root lies on a bpffs, mount one where the
 * library may (/sys/fs/bpf), otherwise say what to do. */
static int ensure_pin_root_on_bpffs(const char *pin_root)
{
	char mkdir_first[PATH_MAX + 16] = "";
	struct stat st;
	int err;

	if (lies_on_bpffs(pin_root))
		return 0;
	if (is_under(pin_root, BPFFS_DEFAULT)) {
		err = ebpfnet_mount_bpffs(BPFFS_DEFAULT);
		if (err)
			return err;
		if (lies_on_bpffs(pin_root))
			return 0;
	}
	/* A missing pin root needs creating before it can be mounted on. */
	if (stat(pin_root, &st))
		snprintf(mkdir_first, sizeof(mkdir_first), "mkdir -p %s && ",
			 pin_root);
	pr_warn("pin root %s is not on a bpffs: mount one there (%smount -t bpf bpf %s) or use a path under %s",
		pin_root, mkdir_first, pin_root, BPFFS_DEFAULT);
	return -EINVAL;
}

int ebpfnet__pin_dir(const char *pin_root, const char *object,
		     const char *scope, char *buf, size_t len)
{
	char dir[PATH_MAX];
	int err, n, created;

	err = check_abs_path("pin root", pin_root);
	if (!err)
		err = check_name("object", object);
	if (!err && scope)
		err = check_name("scope", scope);
	if (err)
		return ebpfnet__err(err);
	if (!buf || !len) {
		pr_warn("pin directory: NULL or empty output buffer");
		return ebpfnet__err(-EINVAL);
	}
	n = snprintf(dir, sizeof(dir), "%.*s/%s%s%s", (int)trimmed_len(pin_root),
		     pin_root, object, scope ? "/" : "", scope ? scope : "");
	if (n < 0 || (size_t)n >= sizeof(dir) || (size_t)n >= len) {
		pr_warn("pin directory under %s: path does not fit in %zu bytes",
			pin_root, len < sizeof(dir) ? len : sizeof(dir));
		return ebpfnet__err(-ENAMETOOLONG);
	}
	err = ensure_pin_root_on_bpffs(pin_root);
	if (err)
		return ebpfnet__err(err);
	err = mkdir_p(dir, 0700, &created);
	if (err)
		return ebpfnet__err(err);
	memcpy(buf, dir, (size_t)n + 1);
	return 0;
}

/* Unlink the pins (files) directly in a bpffs directory; subdirectories
 * (other scopes) are left alone. */
static void unlink_pins(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *de;
	struct stat st;

	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    S_ISDIR(st.st_mode))
			continue;
		if (unlinkat(dirfd(dir), de->d_name, 0))
			pr_debug("pin cleanup: cannot unlink %s/%s: %s", path,
				 de->d_name, ebpfnet_strerror(-errno));
	}
	closedir(dir);
}

void ebpfnet__pin_dir_cleanup(const char *pin_root, const char *dir)
{
	char path[PATH_MAX];
	size_t root_len;

	if (!pin_root || !dir || strlen(dir) >= sizeof(path))
		return;
	root_len = trimmed_len(pin_root);
	if (!is_under(dir, pin_root) || trimmed_len(dir) <= root_len ||
	    has_dot_dot(dir)) {
		pr_debug("pin cleanup: %s is not below %s, left alone", dir,
			 pin_root);
		return;
	}
	memcpy(path, dir, trimmed_len(dir));
	path[trimmed_len(dir)] = '\0';
	/* Only pins in a bpffs are ever removed, never ordinary files. */
	if (ebpfnet__is_bpffs(path))
		unlink_pins(path);
	while (strlen(path) > root_len) {
		if (rmdir(path) && errno != ENOENT) {
			pr_debug("pin cleanup: %s stays: %s", path,
				 ebpfnet_strerror(-errno));
			return;
		}
		if (!cut_last_component(path))
			return;
	}
}

/* ---- cgroup v2 --------------------------------------------------------- */

int ebpfnet__open_cgroup2(const char *path)
{
	char where[PATH_MAX] = "";
	struct statfs st;
	int fd, err;

	err = check_abs_path("cgroup", path);
	if (err)
		return ebpfnet__err(err);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cgroup %s: %s", path, ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	if (fstatfs(fd, &st) == 0 && statfs_is(&st, CGROUP2_SUPER_MAGIC))
		return fd;
	close(fd);
	if (ebpfnet__find_mount("cgroup2", where, sizeof(where)) == 0)
		pr_warn("cgroup %s is not in a cgroup v2 hierarchy (cgroup2 is mounted at %s)",
			path, where);
	else
		pr_warn("cgroup %s is not in a cgroup v2 hierarchy (no cgroup2 is mounted)",
			path);
	return ebpfnet__err(-EINVAL);
}
