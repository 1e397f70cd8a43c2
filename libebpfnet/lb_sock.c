/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb: the socket level (bpf/lb_sock.bpf.c) on cgroup v2 directories. The
 * programs load on the balancer's pinned maps (<pin_root>/lb/<map>, their
 * own maps pinned there too) and attach by BPF links, pinned at
 * <pin_root>/lb/sock/<cgroup id>/<program>: the pins keep them attached
 * after the process exits, and say where the socket level is attached.
 * The cgroup id is the directory's inode number (what the kernel calls
 * the cgroup id on cgroup2); ebpfnet_lb_socket_cgroups() finds the path
 * again by walking the cgroup2 mount.
 *
 * Attaching again to the same cgroup replaces the programs of the pinned
 * links (bpf_link_update: no moment without them), so new options apply.
 * Every change holds the balancer's lock (lb.c).
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "lb_internal.h"
#include "pinned.h"
#include "lb_sock.skel.h"

#define SOCK_SUBDIR "sock"
#define CGROUP_WALK_MAX_DEPTH 64

_Static_assert(EBPFNET_LB_PICK_RANDOM == 1, "lb_sock.bpf.c's LB_PICK_RANDOM");

/* A cgroup v2 directory: its open fd, its id and its path. */
struct cgroup_dir {
	int fd;
	uint64_t id;
	char path[PATH_MAX];
};

static void cgroup_close(struct cgroup_dir *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = -1;
}

/* cgroup_path (NULL: the root of the cgroup2 mount) opened. */
static int cgroup_open(const char *fn, const char *cgroup_path, struct cgroup_dir *cg)
{
	struct stat st;
	int err;

	cg->fd = -1;
	if (!cgroup_path) {
		err = ebpfnet__find_mount("cgroup2", cg->path, sizeof(cg->path));
		if (err) {
			pr_warn("%s: no cgroup2 is mounted (see /proc/mounts): name a cgroup v2 directory",
				fn);
			return err;
		}
	} else if (strlen(cgroup_path) >= sizeof(cg->path)) {
		pr_warn("%s: cgroup_path is longer than PATH_MAX", fn);
		return -ENAMETOOLONG;
	} else {
		strcpy(cg->path, cgroup_path);
	}
	cg->fd = ebpfnet__open_cgroup2(cg->path);
	if (cg->fd < 0)
		return cg->fd;
	if (fstat(cg->fd, &st)) {
		err = -errno;
		pr_warn("%s: cgroup %s: %s", fn, cg->path, ebpfnet_strerror(err));
		cgroup_close(cg);
		return err;
	}
	cg->id = (uint64_t)st.st_ino;
	return 0;
}

/* <pin_root>/lb/sock, and <pin_root>/lb/sock/<id> when id is not 0. */
static int sock_dir(const struct ebpfnet__pinned *p, uint64_t id, char *buf,
		    size_t len)
{
	int n = id ? snprintf(buf, len, "%s/" SOCK_SUBDIR "/%" PRIu64, p->dir, id)
		   : snprintf(buf, len, "%s/" SOCK_SUBDIR, p->dir);

	if (!p->dir[0] || n < 0 || (size_t)n >= len) {
		pr_warn("lb: the socket level's pin directory under %s is too long",
			p->pin_root);
		return -ENAMETOOLONG;
	}
	return 0;
}

bool ebpfnet__lb_sock_attached(const struct ebpfnet__pinned *p)
{
	char path[PATH_MAX];
	struct dirent *e;
	bool any = false;
	DIR *d;

	if (!p->dir[0] || sock_dir(p, 0, path, sizeof(path)))
		return false;
	d = opendir(path);
	if (!d)
		return false;
	while (!any && (e = readdir(d)))
		any = e->d_name[0] != '.';
	closedir(d);
	return any;
}

/* ---- loading ------------------------------------------------------------------ */

/*
 * Whether connect() may fail with the errno the program sets: a probe of
 * bpf_set_retval() in a cgroup sock_addr program; when the probe itself
 * cannot run, the kernel version (the helper came in 5.18).
 */
static bool probe_set_retval(void)
{
	int ret = libbpf_probe_bpf_helper(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					  BPF_FUNC_set_retval, NULL);
	struct utsname u;
	unsigned int major = 0, minor = 0;

	if (ret >= 0)
		return ret == 1;
	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 5 || (major == 5 && minor >= 18);
}

static bool pin_every_map(const struct bpf_map *map, const void *ctx)
{
	(void)ctx;
	return !bpf_map__is_internal(map);
}

/* The programs loaded on the balancer's maps. Called with the lock held. */
static int sock_load(const struct ebpfnet__pinned *p,
		     const struct ebpfnet_lb_socket_opts *opts, struct lb_sock_bpf **out)
{
	struct lb_sock_bpf *skel = lb_sock_bpf__open();
	int err;

	if (!skel)
		return ebpfnet__pinned_open_error(p, -errno);
	skel->rodata->has_set_retval = probe_set_retval();
	skel->rodata->refuse_bind = EBPFNET_OPTS_GET(opts, refuse_bind, false);
	if (!skel->rodata->has_set_retval)
		pr_info("lb: this kernel has no bpf_set_retval(): a refused connect() fails with EPERM, not ECONNREFUSED");
	/* the shared maps keep their size; ours are created when missing */
	err = ebpfnet__pinned_set_pin_paths(p, skel->obj, pin_every_map, NULL, true);
	if (!err) {
		err = lb_sock_bpf__load(skel);
		if (err)
			err = ebpfnet__pinned_load_error(p, err);
	}
	if (err) {
		lb_sock_bpf__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

/* ---- links ----------------------------------------------------------------------- */

static int link_path(const char *dir, const struct bpf_program *prog, char *buf,
		     size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, bpf_program__name(prog));

	if (n < 0 || (size_t)n >= len) {
		pr_warn("lb: the link pin path under %s is too long", dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* The pinned link of prog under dir gets prog; or prog is attached to
 * the cgroup and its link pinned. *created: a new link was pinned. */
static int link_set(const char *dir, struct bpf_program *prog, int cgroup_fd,
		    bool *created)
{
	char path[PATH_MAX];
	struct bpf_link *link;
	int err = link_path(dir, prog, path, sizeof(path));

	*created = false;
	if (err)
		return err;
	/* a link pinned already (asked first: libbpf would log the miss) */
	link = access(path, F_OK) ? NULL : bpf_link__open(path);
	if (link) {
		err = bpf_link__update_program(link, prog);
		if (err)
			pr_warn("lb: cannot replace the program of the link %s: %s", path,
				ebpfnet_strerror(err));
		bpf_link__destroy(link); /* our fd only: the pin stays */
		return err;
	}
	if (!access(path, F_OK) || errno != ENOENT) {
		err = -errno;
		pr_warn("lb: cannot open the link pinned at %s: %s", path,
			ebpfnet_strerror(err));
		return err;
	}
	link = bpf_program__attach_cgroup(prog, cgroup_fd);
	if (!link) {
		err = -errno;
		pr_warn("lb: cannot attach %s to the cgroup: %s", bpf_program__name(prog),
			ebpfnet_strerror(err));
		return err;
	}
	err = bpf_link__pin(link, path);
	if (err)
		pr_warn("lb: cannot pin the link at %s: %s", path, ebpfnet_strerror(err));
	*created = !err;
	bpf_link__destroy(link); /* unpinned: this detaches it */
	return err;
}

static int make_dir(const char *path)
{
	int err;

	if (!mkdir(path, 0700) || errno == EEXIST)
		return 0;
	err = -errno;
	pr_warn("lb: cannot create %s: %s", path, ebpfnet_strerror(err));
	return err;
}

/* Every program attached (or given to its pinned link). On failure the
 * caller removes what a first attach made; on an attach again, replaced
 * links keep the new program (both versions work on the same maps). */
static int links_set(const struct ebpfnet__pinned *p, struct lb_sock_bpf *skel,
		     const struct cgroup_dir *cg, const char *dir)
{
	char sock[PATH_MAX];
	struct bpf_program *prog;
	bool created;
	int err = sock_dir(p, 0, sock, sizeof(sock));

	if (!err)
		err = make_dir(sock);
	if (!err)
		err = make_dir(dir);
	if (err)
		return err;
	bpf_object__for_each_program(prog, skel->obj) {
		err = link_set(dir, prog, cg->fd, &created);
		if (err)
			return err;
		if (created)
			pr_debug("lb: %s attached", bpf_program__name(prog));
	}
	return 0;
}

/* Whether links are pinned in dir already (an attach again). */
static bool dir_has_links(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool any = false;

	if (!d)
		return false;
	while (!any && (e = readdir(d)))
		any = e->d_name[0] != '.';
	closedir(d);
	return any;
}

/* ---- the API ------------------------------------------------------------------------ */

int ebpfnet_lb_socket_attach(struct ebpfnet_lb *lb, const char *cgroup_path,
			     const struct ebpfnet_lb_socket_opts *opts)
{
	static const char fn[] = "ebpfnet_lb_socket_attach";
	struct lb_sock_bpf *skel = NULL;
	const struct ebpfnet__pinned *p;
	struct cgroup_dir cg = { .fd = -1 };
	char dir[PATH_MAX];
	bool again;
	int err = 0;

	if (!lb) {
		pr_warn("%s: lb is NULL", fn);
		return ebpfnet__err(-EINVAL);
	}
	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_lb_socket_opts, refuse_bind))
		return ebpfnet__err(-EINVAL);
	err = cgroup_open(fn, cgroup_path, &cg);
	if (!err)
		err = ebpfnet__lb_lock(lb);
	if (err) {
		cgroup_close(&cg);
		return ebpfnet__err(err);
	}
	p = ebpfnet__lb_pins(lb);
	err = sock_dir(p, cg.id, dir, sizeof(dir));
	if (!err)
		err = sock_load(p, opts, &skel);
	if (!err) {
		again = dir_has_links(dir);
		/* a first attach that fails leaves nothing: its links go
		 * with their pins (the last reference), then the directory */
		err = links_set(p, skel, &cg, dir);
		if (err && !again)
			ebpfnet__pin_dir_cleanup(p->dir, dir);
	}
	if (!err)
		pr_debug("lb: socket level %s %s (cgroup id %" PRIu64 ")",
			 again ? "updated on" : "attached to", cg.path, cg.id);
	lb_sock_bpf__destroy(skel); /* the links hold the programs */
	ebpfnet__lb_unlock(lb);
	cgroup_close(&cg);
	return ebpfnet__err(err);
}

int ebpfnet_lb_socket_detach(struct ebpfnet_lb *lb, const char *cgroup_path)
{
	static const char fn[] = "ebpfnet_lb_socket_detach";
	const struct ebpfnet__pinned *p;
	struct cgroup_dir cg = { .fd = -1 };
	char dir[PATH_MAX];
	int err;

	if (!lb) {
		pr_warn("%s: lb is NULL", fn);
		return ebpfnet__err(-EINVAL);
	}
	err = cgroup_open(fn, cgroup_path, &cg);
	if (!err)
		err = ebpfnet__lb_lock(lb);
	if (err) {
		cgroup_close(&cg);
		return ebpfnet__err(err);
	}
	p = ebpfnet__lb_pins(lb);
	err = sock_dir(p, cg.id, dir, sizeof(dir));
	if (!err && !dir_has_links(dir)) {
		pr_warn("%s: the socket level is not attached to %s", fn, cg.path);
		err = -ENOENT;
	}
	if (!err) {
		/* the last reference of a link gone: it detaches */
		ebpfnet__pin_dir_cleanup(p->dir, dir);
		if (dir_has_links(dir)) {
			pr_warn("%s: cannot remove the links pinned under %s", fn, dir);
			err = -EIO;
		} else {
			pr_debug("lb: socket level detached from %s", cg.path);
		}
	}
	ebpfnet__lb_unlock(lb);
	cgroup_close(&cg);
	return ebpfnet__err(err);
}

/* ---- listing -------------------------------------------------------------------------- */

struct cgroup_ids {
	uint64_t *id;
	char **path;   /* found: the path of id[i] */
	size_t n, found;
};

static int by_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The cgroup ids the socket level is attached to, sorted. */
static int ids_read(const struct ebpfnet__pinned *p, struct cgroup_ids *ids)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t cap = 0;
	int err = sock_dir(p, 0, path, sizeof(path));
	DIR *d;

	if (err)
		return err;
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char *end;
		uint64_t id = strtoull(e->d_name, &end, 10);

		if (e->d_name[0] == '.' || *end || !id)
			continue;
		if (ids->n == cap) {
			void *q = realloc(ids->id, (cap = cap ? cap * 2 : 8) * sizeof(*ids->id));

			if (!q) {
				closedir(d);
				return -ENOMEM;
			}
			ids->id = q;
		}
		ids->id[ids->n++] = id;
	}
	closedir(d);
	qsort(ids->id, ids->n, sizeof(*ids->id), by_id);
	ids->path = calloc(ids->n + 1, sizeof(*ids->path));
	return ids->path ? 0 : -ENOMEM;
}

static void ids_free(struct cgroup_ids *ids)
{
	for (size_t i = 0; ids->path && i < ids->n; i++)
		free(ids->path[i]);
	free(ids->path);
	free(ids->id);
}

/* Note the path of dir (st) when its inode is one of ids, then walk its
 * subdirectories (cgroup2 has no links: a tree). */
static void cgroup_walk(int fd, const struct stat *st, char *path, size_t len,
			int depth, struct cgroup_ids *ids)
{
	uint64_t ino = (uint64_t)st->st_ino;
	uint64_t *hit = bsearch(&ino, ids->id, ids->n, sizeof(*ids->id), by_id);
	size_t base = strlen(path);
	struct dirent *e;
	DIR *d;

	if (hit && !ids->path[hit - ids->id]) {
		ids->path[hit - ids->id] = strdup(path);
		ids->found += ids->path[hit - ids->id] != NULL;
	}
	if (ids->found == ids->n || depth >= CGROUP_WALK_MAX_DEPTH)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while (ids->found < ids->n && (e = readdir(d))) {
		struct stat sub;
		int subfd;

		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (base + 1 + strlen(e->d_name) >= len)
			continue;
		subfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (subfd < 0)
			continue;
		if (fstat(subfd, &sub)) {
			close(subfd);
			continue;
		}
		snprintf(path + base, len - base, "/%s", e->d_name);
		cgroup_walk(subfd, &sub, path, len, depth + 1, ids); /* closes subfd */
		path[base] = '\0';
	}
	closedir(d);
}

static int ids_find_paths(struct cgroup_ids *ids)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err;

	err = ebpfnet__find_mount("cgroup2", path, sizeof(path));
	if (err) {
		pr_warn("ebpfnet_lb_socket_cgroups: no cgroup2 is mounted: the cgroups cannot be named");
		return err;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		pr_warn("ebpfnet_lb_socket_cgroups: %s: %s", path, ebpfnet_strerror(err));
		return err;
	}
	/* the mount's root without a trailing "/" for the names below it */
	cgroup_walk(fd, &st, path, sizeof(path), 0, ids);
	return 0;
}

int ebpfnet_lb_socket_cgroups(const struct ebpfnet_lb *lb, ebpfnet_lb_cgroup_fn fn,
			      void *ctx)
{
	struct cgroup_ids ids = { 0 };
	int err = 0;

	if (!lb || !fn) {
		pr_warn("ebpfnet_lb_socket_cgroups: %s is NULL", !lb ? "lb" : "fn");
		return ebpfnet__err(-EINVAL);
	}
	err = ids_read(ebpfnet__lb_pins(lb), &ids);
	if (!err && ids.n)
		err = ids_find_paths(&ids);
	for (size_t i = 0; !err && i < ids.n; i++) {
		if (!ids.path[i]) {
			pr_info("lb: the socket level is pinned for cgroup id %" PRIu64
				", which is gone from the cgroup2 mount (its links detached with it): remove %s/" SOCK_SUBDIR "/%" PRIu64,
				ids.id[i], ebpfnet__lb_pins(lb)->dir, ids.id[i]);
			continue;
		}
		err = fn(ctx, ids.path[i]);
		if (err) {
			ids_free(&ids);
			return err; /* the callback's value, as the other walks */
		}
	}
	ids_free(&ids);
	return ebpfnet__err(err);
}
