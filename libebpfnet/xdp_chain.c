/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The XDP chain (xdp_chain.h): the node-wide stage table and ifindex ->
 * stage bitmask maps (the hash, and the array packets of small ifindexes
 * read: xdp_chain_abi.h), pinned under <pin_root>/xdp/, and one
 * dispatcher XDP link per interface, pinned at <pin_root>/xdp/<ifname>/link.
 *
 * The pins are the only state: the mode of an interface is read back from
 * the kernel, and a later process adopts everything a former one left.
 * Changes take an exclusive flock on <pin_root>/xdp, so several processes
 * may share the chain. An interface deleted while enabled leaves a link
 * that is detached (its ifindex reads 0) and a bitmask entry for an
 * ifindex that is gone: both are ignored, and cleaned up when met.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "pinned.h"
#include "xdp_chain.h"
#include "xdp_dispatch.skel.h"

#define CHAIN_OBJECT "xdp"
#define LINK_PIN "link"
#define DISPATCH_PROG_NAME "xdp_dispatch"
#define LOCK_ATTEMPTS 5

/* The chain's maps: their name in every stage object (xdp_chain_stage.h)
 * and their pin under <pin_root>/xdp. */
enum chain_map { MAP_CHAIN, MAP_IFACES, MAP_BY_INDEX, CHAIN_MAPS };

static const struct {
	const char *name;
	const char *pin;
} chain_maps[CHAIN_MAPS] = {
	[MAP_CHAIN] = { "xdp_chain", "chain" },
	[MAP_IFACES] = { "xdp_ifaces", "ifaces" },
	[MAP_BY_INDEX] = { "xdp_ifaces_by_index", "ifaces_by_index" },
};

struct ebpfnet__xdp_chain {
	char pin_root[PATH_MAX];
	char dir[PATH_MAX];          /* <pin_root>/xdp */
	int dir_fd;                  /* flock target; -1 while not open */
	int lock_depth;              /* nested lock() calls of this handle */
	struct xdp_dispatch_bpf *skel; /* the dispatcher and the maps */
	struct bpf_map *maps[CHAIN_MAPS]; /* the skeleton's, by enum chain_map */
	__u32 map_ids[CHAIN_MAPS];   /* to recognise the pins as ours */
};

/* What a link pinned for an interface says. */
struct iface_link {
	int fd;
	__u32 ifindex;  /* 0: the interface is gone (the link is detached) */
	__u32 prog_id;
};

const char *ebpfnet_xdp_mode_name(enum ebpfnet_xdp_mode mode)
{
	switch (mode) {
	case EBPFNET_XDP_MODE_AUTO:
		return "auto";
	case EBPFNET_XDP_MODE_NATIVE:
		return "native";
	case EBPFNET_XDP_MODE_GENERIC:
		return "generic";
	}
	return "unknown";
}

/* ---- argument checks ----------------------------------------------------- */

static int check_stage(const char *what, enum xdp_stage stage)
{
	if ((int)stage < 0 || stage >= XDP_STAGE_MAX) {
		pr_warn("xdp chain: %s: stage %d is out of range (0..%d)", what,
			(int)stage, XDP_STAGE_MAX - 1);
		return -EINVAL;
	}
	return 0;
}

/* An interface name becomes a directory beside the map pins. */
static int check_ifname(const char *ifname)
{
	size_t len;

	if (!ifname || !*ifname) {
		pr_warn("xdp chain: no interface name given");
		return -EINVAL;
	}
	len = strnlen(ifname, IF_NAMESIZE);
	if (len >= IF_NAMESIZE) {
		pr_warn("xdp chain: interface name '%.*s...' is longer than %d bytes",
			IF_NAMESIZE - 1, ifname, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	if (strchr(ifname, '/') || !strcmp(ifname, ".") ||
	    !strcmp(ifname, "..")) {
		pr_warn("xdp chain: '%s' is not a valid interface name", ifname);
		return -EINVAL;
	}
	for (int i = 0; i < CHAIN_MAPS; i++) {
		if (!strcmp(ifname, chain_maps[i].pin)) {
			pr_warn("xdp chain: interface name '%s' collides with the chain's map pins",
				ifname);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_mode(enum ebpfnet_xdp_mode mode)
{
	if (mode != EBPFNET_XDP_MODE_AUTO && mode != EBPFNET_XDP_MODE_NATIVE &&
	    mode != EBPFNET_XDP_MODE_GENERIC) {
		pr_warn("xdp chain: unknown XDP mode %d", (int)mode);
		return -EINVAL;
	}
	return 0;
}

/* ---- small kernel queries -------------------------------------------------- */

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The name of a loaded program, "" when it cannot be read. */
static void prog_name(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "%s", "");
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

/* Whether fd refers to a BPF link (a pin could hold a map or a program). */
static bool fd_is_link(int fd)
{
	char proc[64], target[64];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	/* A new link is "bpf_link", one opened from its pin "bpf-link". */
	return !strcmp(target, "anon_inode:bpf_link") ||
	       !strcmp(target, "anon_inode:bpf-link");
}

/* The mode in which prog_id is attached to ifindex; -ENOENT when it is
 * not attached there. */
static int attached_mode(__u32 ifindex, __u32 prog_id)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query((int)ifindex, 0, &q);

	if (err)
		return err;
	if (prog_id && q.drv_prog_id == prog_id)
		return EBPFNET_XDP_MODE_NATIVE;
	if (prog_id && q.skb_prog_id == prog_id)
		return EBPFNET_XDP_MODE_GENERIC;
	return -ENOENT;
}

/* ---- paths ----------------------------------------------------------------- */

static int path_in(const struct ebpfnet__xdp_chain *chain, char *buf,
		   size_t len, const char *a, const char *b)
{
	int n = snprintf(buf, len, "%s/%s%s%s", chain->dir, a, b ? "/" : "",
			 b ? b : "");

	if (n < 0 || (size_t)n >= len) {
		pr_warn("xdp chain: path under %s is too long", chain->dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

/* ---- interface links -------------------------------------------------------- */

/* Read what an XDP link fd says into link (fd included). */
static int link_read(int fd, struct iface_link *link)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (!fd_is_link(fd) || bpf_obj_get_info_by_fd(fd, &info, &len) ||
	    info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	link->fd = fd;
	link->ifindex = info.xdp.ifindex;
	link->prog_id = info.prog_id;
	return 0;
}

/* Open <dir>/<ifname>/link: 0, -ENOENT (no pin), or another error. */
static int link_open(const struct ebpfnet__xdp_chain *chain,
		     const char *ifname, struct iface_link *link)
{
	char path[PATH_MAX];
	int err, fd;

	link->fd = -1;
	err = path_in(chain, path, sizeof(path), ifname, LINK_PIN);
	if (err)
		return err;
	fd = ebpfnet__pin_open("xdp chain", "the pinned link ", path);
	if (fd < 0)
		return fd;
	if (link_read(fd, link)) {
		pr_warn("xdp chain: %s is not an XDP link", path);
		close(fd);
		return -EINVAL;
	}
	return 0;
}

static void link_close(struct iface_link *link)
{
	if (link->fd >= 0)
		close(link->fd);
	link->fd = -1;
}

/* The link is still attached: its interface was not deleted (it may have
 * been renamed: the link's ifindex, not the name, is what counts). */
static bool link_is_live(const struct iface_link *link)
{
	return link->ifindex != 0;
}

/* Detach an interface's dispatcher and remove its pin directory. */
static void iface_remove(const struct ebpfnet__xdp_chain *chain,
			 const char *ifname, struct iface_link *link)
{
	char dir[PATH_MAX];

	if (link->fd >= 0 && bpf_link_detach(link->fd))
		pr_debug("xdp chain: detaching the link on %s: %s", ifname,
			 ebpfnet_strerror(-errno));
	link_close(link);
	if (path_in(chain, dir, sizeof(dir), ifname, NULL) == 0)
		ebpfnet__pin_dir_cleanup(chain->pin_root, dir);
}

static bool is_subdir(DIR *dir, const struct dirent *de)
{
	struct stat st;

	if (de->d_name[0] == '.')
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return !fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISDIR(st.st_mode);
}

/* Call fn for every interface directory under <pin_root>/xdp. */
static int for_each_iface_dir(const struct ebpfnet__xdp_chain *chain,
			      int (*fn)(const struct ebpfnet__xdp_chain *chain,
					const char *ifname, void *ctx),
			      void *ctx)
{
	DIR *dir = opendir(chain->dir);
	struct dirent *de;
	int ret = 0;

	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(dir)) != NULL) {
		if (!is_subdir(dir, de))
			continue;
		ret = fn(chain, de->d_name, ctx);
	}
	closedir(dir);
	return ret;
}

/* ---- the bitmask maps --------------------------------------------------------- */

static int map_fd(const struct ebpfnet__xdp_chain *chain, enum chain_map m)
{
	return bpf_map__fd(chain->maps[m]);
}

static int ifaces_fd(const struct ebpfnet__xdp_chain *chain)
{
	return map_fd(chain, MAP_IFACES);
}

/* The bitmask of ifindex in the hash, the source of truth. */
static __u32 stage_mask(const struct ebpfnet__xdp_chain *chain,
			__u32 ifindex)
{
	__u32 mask = 0;

	if (bpf_map_lookup_elem(ifaces_fd(chain), &ifindex, &mask))
		return 0;
	return mask;
}

static int write_hash_mask(const struct ebpfnet__xdp_chain *chain,
			   __u32 ifindex, __u32 mask)
{
	if (mask ? bpf_map_update_elem(ifaces_fd(chain), &ifindex, &mask, BPF_ANY) :
		   bpf_map_delete_elem(ifaces_fd(chain), &ifindex))
		return !mask && errno == ENOENT ? 0 : -errno;
	return 0;
}

/* The array entry packets of ifindex read, when the array covers it. */
static int write_array_mask(const struct ebpfnet__xdp_chain *chain,
			    __u32 ifindex, __u32 mask)
{
	if (ifindex >= XDP_CHAIN_ARRAY_IFINDEX)
		return 0;
	if (bpf_map_update_elem(map_fd(chain, MAP_BY_INDEX), &ifindex, &mask,
				BPF_ANY))
		return -errno;
	return 0;
}

/* Write ifindex's bitmask (0: none) to the hash, then to the array; when
 * the array cannot be written, the hash gets its old value back. */
static int write_mask(const struct ebpfnet__xdp_chain *chain, __u32 ifindex,
		      __u32 mask)
{
	__u32 old = stage_mask(chain, ifindex);
	int err = write_hash_mask(chain, ifindex, mask);

	if (!err && (err = write_array_mask(chain, ifindex, mask)))
		write_hash_mask(chain, ifindex, old);
	return err;
}

static int set_stage_mask(const struct ebpfnet__xdp_chain *chain,
			  const char *ifname, __u32 ifindex, __u32 mask)
{
	int err = write_mask(chain, ifindex, mask);

	if (err)
		pr_warn("xdp chain: cannot update the stages of %s: %s", ifname,
			ebpfnet_strerror(err));
	return err;
}

/* A chain pinned by a version without the array: copy the hash into the
 * new array (before any packet reads it: no dispatcher uses it yet). */
static int fill_array(const struct ebpfnet__xdp_chain *chain)
{
	__u32 key, next, mask;
	int more, err;

	for (more = bpf_map_get_next_key(ifaces_fd(chain), NULL, &next); !more;
	     more = bpf_map_get_next_key(ifaces_fd(chain), &key, &next)) {
		key = next;
		mask = stage_mask(chain, key);
		err = write_array_mask(chain, key, mask);
		if (err) {
			pr_warn("xdp chain: cannot copy the stages of ifindex %u to %s: %s",
				key, chain_maps[MAP_BY_INDEX].pin,
				ebpfnet_strerror(err));
			return err;
		}
	}
	return 0;
}

struct live_set {
	__u32 ifindex[XDP_CHAIN_MAX_IFACES];
	int n;
};

static int collect_live(const struct ebpfnet__xdp_chain *chain,
			const char *ifname, void *ctx)
{
	struct live_set *live = ctx;
	struct iface_link link;
	int err = link_open(chain, ifname, &link);

	if (err)
		return err == -ENOENT ? 0 : err; /* unsure: forget nothing */
	if (link.ifindex && live->n < XDP_CHAIN_MAX_IFACES)
		live->ifindex[live->n++] = link.ifindex;
	link_close(&link);
	return 0;
}

/* Delete the bitmask entries no attached dispatcher uses (interfaces that
 * were deleted), so they neither fill the map nor wake up on a new
 * interface that gets the same ifindex. */
static void forget_stale_masks(const struct ebpfnet__xdp_chain *chain)
{
	struct live_set *live = calloc(1, sizeof(*live));
	__u32 key, next, stale[64];
	int i, n = 0;
	bool used;

	if (!live)
		return;
	if (for_each_iface_dir(chain, collect_live, live)) {
		free(live);
		return;
	}
	for (int more = bpf_map_get_next_key(ifaces_fd(chain), NULL, &next);
	     !more && n < (int)EBPFNET_ARRAY_SIZE(stale);
	     more = bpf_map_get_next_key(ifaces_fd(chain), &key, &next)) {
		key = next;
		used = false;
		for (i = 0; i < live->n && !used; i++)
			used = live->ifindex[i] == key;
		if (!used)
			stale[n++] = key;
	}
	/* Deleted after the walk, which a deletion would restart. */
	for (i = 0; i < n; i++) {
		pr_debug("xdp chain: forgetting the stages of ifindex %u (gone)",
			 stale[i]);
		write_mask(chain, stale[i], 0);
	}
	free(live);
}

/* ---- locking and pins ---------------------------------------------------------- */

static int open_dir(struct ebpfnet__xdp_chain *chain)
{
	int err = ebpfnet__pin_dir(chain->pin_root, CHAIN_OBJECT, NULL,
				   chain->dir, sizeof(chain->dir));

	if (err)
		return err;
	chain->dir_fd = open(chain->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chain->dir_fd < 0) {
		err = -errno;
		pr_warn("xdp chain: cannot open %s: %s", chain->dir,
			ebpfnet_strerror(err));
		return err;
	}
	return 0;
}

/* Whether the directory we hold is still the one at chain->dir (another
 * process may have removed the chain and a third re-created it). */
static bool dir_is_current(const struct ebpfnet__xdp_chain *chain)
{
	struct stat held, now;

	return !fstat(chain->dir_fd, &held) && !stat(chain->dir, &now) &&
	       held.st_dev == now.st_dev && held.st_ino == now.st_ino;
}

static int lock_dir(struct ebpfnet__xdp_chain *chain)
{
	int attempt, err;

	for (attempt = 0; attempt < LOCK_ATTEMPTS; attempt++) {
		if (chain->dir_fd < 0) {
			err = open_dir(chain);
			if (err)
				return err;
		}
		while (flock(chain->dir_fd, LOCK_EX)) {
			if (errno != EINTR) {
				err = -errno;
				pr_warn("xdp chain: cannot lock %s: %s",
					chain->dir, ebpfnet_strerror(err));
				return err;
			}
		}
		if (dir_is_current(chain))
			return 0;
		flock(chain->dir_fd, LOCK_UN);
		close(chain->dir_fd);
		chain->dir_fd = -1;
	}
	pr_warn("xdp chain: %s keeps being removed and re-created", chain->dir);
	return -EAGAIN;
}

int ebpfnet__xdp_chain_lock(struct ebpfnet__xdp_chain *chain)
{
	int err;

	if (!chain) {
		pr_warn("xdp chain: lock: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	if (chain->lock_depth > 0) {
		chain->lock_depth++;
		return 0;
	}
	err = lock_dir(chain);
	if (err)
		return ebpfnet__err(err);
	chain->lock_depth = 1;
	return 0;
}

void ebpfnet__xdp_chain_unlock(struct ebpfnet__xdp_chain *chain)
{
	if (!chain || chain->lock_depth <= 0)
		return;
	if (--chain->lock_depth == 0 && chain->dir_fd >= 0)
		flock(chain->dir_fd, LOCK_UN);
}

/* Make sure the pins under <pin_root>/xdp are our maps: pin them again
 * when another process removed the (then unused) chain; -ESTALE when a
 * new chain has been created there since. Called with the lock held. */
static int ensure_map_pin(const struct ebpfnet__xdp_chain *chain,
			  const char *name, int fd, __u32 id)
{
	char path[PATH_MAX];
	int pinned, err;
	__u32 pinned_id;

	err = path_in(chain, path, sizeof(path), name, NULL);
	if (err)
		return err;
	pinned = bpf_obj_get(path);
	if (pinned < 0 && errno == ENOENT) {
		if (bpf_obj_pin(fd, path)) {
			err = -errno;
			pr_warn("xdp chain: cannot pin %s: %s", path,
				ebpfnet_strerror(err));
			return err;
		}
		pr_info("xdp chain: pinned %s again (the chain had been removed)",
			path);
		return 0;
	}
	if (pinned < 0) {
		err = -errno;
		pr_warn("xdp chain: cannot open %s: %s", path,
			ebpfnet_strerror(err));
		return err;
	}
	pinned_id = map_id(pinned);
	close(pinned);
	if (pinned_id != id) {
		pr_warn("xdp chain: %s was re-created by another process since this handle opened it: open the chain again",
			path);
		return -ESTALE;
	}
	return 0;
}

static int ensure_pins(const struct ebpfnet__xdp_chain *chain)
{
	int err = 0;

	for (int i = 0; i < CHAIN_MAPS && !err; i++)
		err = ensure_map_pin(chain, chain_maps[i].pin, map_fd(chain, i),
				     chain->map_ids[i]);
	return err;
}

/* lock + ensure_pins, for every change. */
static int begin_change(struct ebpfnet__xdp_chain *chain)
{
	int err = ebpfnet__xdp_chain_lock(chain);

	if (err)
		return err;
	err = ensure_pins(chain);
	if (err)
		ebpfnet__xdp_chain_unlock(chain);
	return err;
}

/* ---- open and close --------------------------------------------------------- */

static void unpin(const struct ebpfnet__xdp_chain *chain, const char *name)
{
	char path[PATH_MAX];

	if (path_in(chain, path, sizeof(path), name, NULL) == 0 &&
	    unlink(path) && errno != ENOENT)
		pr_debug("xdp chain: cannot unpin %s: %s", path,
			 ebpfnet_strerror(-errno));
}

/* Point the skeleton's maps at their pins (*array_pinned: whether the
 * array's pin is there already). */
static int set_pin_paths(struct ebpfnet__xdp_chain *chain, bool *array_pinned)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < CHAIN_MAPS; i++) {
		chain->maps[i] = bpf_object__find_map_by_name(chain->skel->obj,
							      chain_maps[i].name);
		if (!chain->maps[i]) {
			pr_warn("xdp chain: the dispatcher object has no map %s",
				chain_maps[i].name);
			return -ENOENT;
		}
		err = path_in(chain, path, sizeof(path), chain_maps[i].pin, NULL);
		if (!err)
			err = bpf_map__set_pin_path(chain->maps[i], path);
		if (err)
			return err;
		if (i == MAP_BY_INDEX)
			*array_pinned = access(path, F_OK) == 0;
	}
	return 0;
}

/* Load the dispatcher with its maps pinned: libbpf adopts the pinned maps
 * or creates and pins them. A chain pinned by a version without the array
 * gets one, filled from the hash. Called with the lock held. */
static int load_dispatcher(struct ebpfnet__xdp_chain *chain)
{
	bool array_pinned = false;
	int err;

	chain->skel = xdp_dispatch_bpf__open();
	if (!chain->skel) {
		err = -errno;
		pr_warn("xdp chain: cannot open the dispatcher object: %s",
			ebpfnet_strerror(err));
		return err;
	}
	err = set_pin_paths(chain, &array_pinned);
	if (!err)
		err = xdp_dispatch_bpf__load(chain->skel);
	if (err) {
		pr_warn("xdp chain: cannot load the dispatcher with the maps pinned under %s: %s%s",
			chain->dir, ebpfnet_strerror(err),
			err == -EINVAL ? " (pins left by an incompatible version?)" : "");
		return err;
	}
	for (int i = 0; i < CHAIN_MAPS; i++)
		chain->map_ids[i] = map_id(map_fd(chain, i));
	err = array_pinned ? 0 : fill_array(chain);
	if (err) /* the next open creates and fills it again */
		unpin(chain, chain_maps[MAP_BY_INDEX].pin);
	return err;
}

int ebpfnet__xdp_chain_open(const char *pin_root,
			    struct ebpfnet__xdp_chain **out)
{
	struct ebpfnet__xdp_chain *chain;
	int err;

	if (!out) {
		pr_warn("xdp chain: open: NULL output pointer");
		return ebpfnet__err(-EINVAL);
	}
	*out = NULL;
	if (!pin_root)
		pin_root = EBPFNET_PIN_ROOT_DEFAULT;
	if (strlen(pin_root) >= PATH_MAX) {
		pr_warn("xdp chain: pin root is longer than %d bytes",
			PATH_MAX - 1);
		return ebpfnet__err(-ENAMETOOLONG);
	}
	chain = calloc(1, sizeof(*chain));
	if (!chain)
		return ebpfnet__err(-ENOMEM);
	chain->dir_fd = -1;
	strcpy(chain->pin_root, pin_root);
	err = ebpfnet__xdp_chain_lock(chain);
	if (err) {
		ebpfnet__xdp_chain_close(chain);
		return ebpfnet__err(err);
	}
	err = load_dispatcher(chain);
	ebpfnet__xdp_chain_unlock(chain);
	if (err) {
		ebpfnet__xdp_chain_close(chain);
		return ebpfnet__err(err);
	}
	pr_debug("xdp chain: opened under %s", chain->dir);
	*out = chain;
	return 0;
}

void ebpfnet__xdp_chain_close(struct ebpfnet__xdp_chain *chain)
{
	if (!chain)
		return;
	xdp_dispatch_bpf__destroy(chain->skel);
	if (chain->dir_fd >= 0)
		close(chain->dir_fd); /* releases a lock left held */
	free(chain);
}

int ebpfnet__xdp_chain_prog_array_fd(const struct ebpfnet__xdp_chain *chain)
{
	if (!chain) {
		pr_warn("xdp chain: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	return map_fd(chain, MAP_CHAIN);
}

int ebpfnet__xdp_chain_ifaces_fd(const struct ebpfnet__xdp_chain *chain)
{
	if (!chain) {
		pr_warn("xdp chain: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	return ifaces_fd(chain);
}

int ebpfnet__xdp_chain_share(const struct ebpfnet__xdp_chain *chain,
			     struct bpf_object *obj)
{
	struct bpf_map *map;
	int err, shared = 0;

	if (!chain || !obj) {
		pr_warn("xdp chain: share: NULL chain or object");
		return ebpfnet__err(-EINVAL);
	}
	for (int i = 0; i < CHAIN_MAPS; i++) {
		map = bpf_object__find_map_by_name(obj, chain_maps[i].name);
		if (!map)
			continue;
		err = bpf_map__reuse_fd(map, map_fd(chain, i));
		if (err) {
			pr_warn("xdp chain: cannot share %s with the BPF object %s: %s",
				chain_maps[i].name, bpf_object__name(obj),
				ebpfnet_strerror(err));
			return ebpfnet__err(err);
		}
		shared++;
	}
	if (!shared) {
		pr_warn("xdp chain: the BPF object %s has none of the chain's maps (not an XDP chain stage?)",
			bpf_object__name(obj));
		return ebpfnet__err(-ENOENT);
	}
	return 0;
}

/* ---- stages -------------------------------------------------------------------- */

int ebpfnet__xdp_chain_set_stage(struct ebpfnet__xdp_chain *chain,
				 enum xdp_stage stage, int prog_fd)
{
	__u32 slot = stage;
	int err;

	if (!chain || prog_fd < 0) {
		pr_warn("xdp chain: set stage: NULL chain or bad program fd");
		return ebpfnet__err(-EINVAL);
	}
	err = check_stage("set stage", stage);
	if (!err)
		err = begin_change(chain);
	if (err)
		return ebpfnet__err(err);
	/* One update: packets meet the old program or the new one. */
	if (bpf_map_update_elem(map_fd(chain, MAP_CHAIN), &slot,
				&prog_fd, BPF_ANY)) {
		err = -errno;
		pr_warn("xdp chain: cannot put the program in stage %u: %s%s",
			slot, ebpfnet_strerror(err),
			err == -EINVAL ? " (not an XDP program?)" : "");
	} else {
		pr_debug("xdp chain: stage %u set", slot);
	}
	ebpfnet__xdp_chain_unlock(chain);
	return ebpfnet__err(err);
}

int ebpfnet__xdp_chain_clear_stage(struct ebpfnet__xdp_chain *chain,
				   enum xdp_stage stage)
{
	__u32 slot = stage;
	int err;

	if (!chain) {
		pr_warn("xdp chain: clear stage: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	err = check_stage("clear stage", stage);
	if (!err)
		err = begin_change(chain);
	if (err)
		return ebpfnet__err(err);
	if (bpf_map_delete_elem(map_fd(chain, MAP_CHAIN), &slot) &&
	    errno != ENOENT) {
		err = -errno;
		pr_warn("xdp chain: cannot empty stage %u: %s", slot,
			ebpfnet_strerror(err));
	}
	ebpfnet__xdp_chain_unlock(chain);
	return ebpfnet__err(err);
}

/* ---- attaching the dispatcher ------------------------------------------------ */

/* -EBUSY when any XDP program is attached to the interface (called when
 * we have no link there, so it cannot be ours). */
static int check_no_xdp(const char *ifname, __u32 ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char name[BPF_OBJ_NAME_LEN];
	__u32 id;
	int err = bpf_xdp_query((int)ifindex, 0, &q);

	if (err) {
		pr_warn("xdp chain: cannot query the XDP programs of %s: %s",
			ifname, ebpfnet_strerror(err));
		return err;
	}
	id = q.drv_prog_id ? q.drv_prog_id :
	     q.skb_prog_id ? q.skb_prog_id : q.hw_prog_id;
	if (!id)
		return 0;
	prog_name(id, name, sizeof(name));
	pr_warn("xdp chain: %s already runs XDP program %u (%s) in %s mode, which is not this chain's dispatcher: detach it first",
		ifname, id, *name ? name : "unnamed",
		id == q.drv_prog_id ? "native" :
		id == q.skb_prog_id ? "generic" : "offload");
	return -EBUSY;
}

/* Attach the dispatcher: native then generic under AUTO. The link fd. */
static int attach_dispatcher(const struct ebpfnet__xdp_chain *chain,
			     const char *ifname, __u32 ifindex,
			     enum ebpfnet_xdp_mode mode)
{
	static const struct {
		enum ebpfnet_xdp_mode mode;
		__u32 flags;
	} tries[] = {
		{ EBPFNET_XDP_MODE_NATIVE, XDP_FLAGS_DRV_MODE },
		{ EBPFNET_XDP_MODE_GENERIC, XDP_FLAGS_SKB_MODE },
	};
	int prog_fd = bpf_program__fd(chain->skel->progs.xdp_dispatch);
	int fd = -1, err = -EINVAL;
	size_t i;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(tries); i++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = tries[i].flags);

		if (mode != EBPFNET_XDP_MODE_AUTO && mode != tries[i].mode)
			continue;
		fd = bpf_link_create(prog_fd, (int)ifindex, BPF_XDP, &opts);
		if (fd >= 0)
			return fd;
		err = -errno;
		if (mode == EBPFNET_XDP_MODE_AUTO &&
		    tries[i].mode == EBPFNET_XDP_MODE_NATIVE)
			pr_debug("xdp chain: native XDP on %s failed (%s), trying generic",
				 ifname, ebpfnet_strerror(err));
	}
	pr_warn("xdp chain: cannot attach the XDP dispatcher to %s (%s mode): %s",
		ifname, ebpfnet_xdp_mode_name(mode), ebpfnet_strerror(err));
	return err;
}

/* Set the stages of ifname to mask, attach a new dispatcher there and pin
 * its link; on failure, nothing of that is left. */
static int iface_attach(const struct ebpfnet__xdp_chain *chain,
			const char *ifname, __u32 ifindex,
			enum ebpfnet_xdp_mode mode, __u32 mask,
			struct iface_link *link)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err, fd;

	err = check_no_xdp(ifname, ifindex);
	if (!err)
		err = path_in(chain, dir, sizeof(dir), ifname, NULL);
	if (!err)
		err = path_in(chain, path, sizeof(path), ifname, LINK_PIN);
	if (err)
		return err;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("xdp chain: cannot create %s: %s", dir,
			ebpfnet_strerror(err));
		return err;
	}
	/* The stages first, so that the dispatcher's first packet meets
	 * them. No XDP program runs on ifindex (checked above): an entry a
	 * deleted interface left for it is stale, and is overwritten. */
	link->fd = -1;
	err = set_stage_mask(chain, ifname, ifindex, mask);
	if (err)
		goto undo;
	fd = attach_dispatcher(chain, ifname, ifindex, mode);
	if (fd < 0) {
		err = fd;
		goto undo;
	}
	err = link_read(fd, link);
	if (err) {
		pr_warn("xdp chain: cannot read the new link on %s", ifname);
		link->fd = fd;
		goto undo;
	}
	if (bpf_obj_pin(link->fd, path)) {
		err = -errno;
		pr_warn("xdp chain: cannot pin the link at %s: %s", path,
			ebpfnet_strerror(err));
		goto undo;
	}
	return 0;
undo:
	iface_remove(chain, ifname, link); /* detached before the stages go */
	write_mask(chain, ifindex, 0);
	return err;
}

/* Open the interface's link for enable(): an existing dispatcher of ours
 * (*fresh = false), or a newly attached one whose stages are fresh_mask;
 * stale pins of a vanished or replaced interface of that name are cleared
 * first. */
static int iface_get(const struct ebpfnet__xdp_chain *chain,
		     const char *ifname, __u32 ifindex,
		     enum ebpfnet_xdp_mode mode, __u32 fresh_mask,
		     struct iface_link *link, bool *fresh)
{
	char name[BPF_OBJ_NAME_LEN];
	int err = link_open(chain, ifname, link), active;

	*fresh = false;
	if (err && err != -ENOENT)
		return err;
	if (!err && !link_is_live(link)) {
		pr_info("xdp chain: the interface named %s when its dispatcher was pinned is gone; replacing the stale pins",
			ifname);
		iface_remove(chain, ifname, link);
		forget_stale_masks(chain);
		err = -ENOENT;
	} else if (!err && link->ifindex != ifindex) {
		pr_warn("xdp chain: the dispatcher pinned for %s runs on ifindex %u, not on %s (ifindex %u): was it renamed?",
			ifname, link->ifindex, ifname, ifindex);
		link_close(link);
		return -EBUSY;
	}
	if (err == -ENOENT) {
		*fresh = true;
		return iface_attach(chain, ifname, ifindex, mode, fresh_mask,
				    link);
	}
	prog_name(link->prog_id, name, sizeof(name));
	if (strcmp(name, DISPATCH_PROG_NAME)) {
		pr_warn("xdp chain: the link pinned for %s runs program %u (%s), not the dispatcher",
			ifname, link->prog_id, name);
		link_close(link);
		return -EBUSY;
	}
	active = attached_mode(ifindex, link->prog_id);
	if (mode != EBPFNET_XDP_MODE_AUTO && active >= 0 &&
	    active != (int)mode) {
		pr_warn("xdp chain: the dispatcher on %s runs in %s mode, not %s: disable every XDP stage there to change the mode",
			ifname, ebpfnet_xdp_mode_name(active),
			ebpfnet_xdp_mode_name(mode));
		link_close(link);
		return -EEXIST;
	}
	return 0;
}

int ebpfnet__xdp_chain_enable(struct ebpfnet__xdp_chain *chain,
			      const char *ifname, enum xdp_stage stage,
			      enum ebpfnet_xdp_mode mode,
			      enum ebpfnet_xdp_mode *active)
{
	struct iface_link link = { .fd = -1 };
	__u32 ifindex;
	bool fresh;
	int err, got;

	if (!chain) {
		pr_warn("xdp chain: enable: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	err = check_ifname(ifname);
	if (!err)
		err = check_stage("enable", stage);
	if (!err)
		err = check_mode(mode);
	if (err)
		return ebpfnet__err(err);
	ifindex = if_nametoindex(ifname);
	if (!ifindex) {
		pr_warn("xdp chain: interface %s does not exist", ifname);
		return ebpfnet__err(-ENODEV);
	}
	err = begin_change(chain);
	if (err)
		return ebpfnet__err(err);
	/* A new dispatcher starts from this stage alone: an entry left by a
	 * deleted interface with the same ifindex must not come back. */
	err = iface_get(chain, ifname, ifindex, mode, 1U << stage, &link,
			&fresh);
	if (!err && !fresh)
		err = set_stage_mask(chain, ifname, ifindex,
				     stage_mask(chain, ifindex) | 1U << stage);
	if (err)
		goto out;
	got = attached_mode(ifindex, link.prog_id);
	if (got < 0) {
		pr_debug("xdp chain: cannot read back the XDP mode of %s: %s",
			 ifname, ebpfnet_strerror(got));
		got = mode;
	}
	if (active)
		*active = (enum ebpfnet_xdp_mode)got;
	pr_debug("xdp chain: stage %u enabled on %s (%s)", (unsigned)stage,
		 ifname, ebpfnet_xdp_mode_name(got));
out:
	link_close(&link);
	ebpfnet__xdp_chain_unlock(chain);
	return ebpfnet__err(err);
}

int ebpfnet__xdp_chain_disable(struct ebpfnet__xdp_chain *chain,
			       const char *ifname, enum xdp_stage stage)
{
	struct iface_link link = { .fd = -1 };
	__u32 mask;
	int err;

	if (!chain) {
		pr_warn("xdp chain: disable: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	err = check_ifname(ifname);
	if (!err)
		err = check_stage("disable", stage);
	if (!err)
		err = begin_change(chain);
	if (err)
		return ebpfnet__err(err);
	err = link_open(chain, ifname, &link);
	if (err == -ENOENT) {
		pr_warn("xdp chain: stage %u is not enabled on %s",
			(unsigned)stage, ifname);
		goto out;
	}
	if (err)
		goto out;
	if (!link_is_live(&link)) {
		pr_info("xdp chain: %s was deleted; removing its stale pins",
			ifname);
		iface_remove(chain, ifname, &link);
		forget_stale_masks(chain);
		goto out;
	}
	mask = stage_mask(chain, link.ifindex);
	if (!(mask & 1U << stage)) {
		pr_warn("xdp chain: stage %u is not enabled on %s",
			(unsigned)stage, ifname);
		err = -ENOENT;
		goto out;
	}
	mask &= ~(1U << stage);
	if (mask) {
		err = set_stage_mask(chain, ifname, link.ifindex, mask);
		goto out;
	}
	/* The last stage: detach first, so a failure changes nothing (and
	 * no packet reads the stages once the dispatcher is gone). */
	if (bpf_link_detach(link.fd)) {
		err = -errno;
		pr_warn("xdp chain: cannot detach the dispatcher from %s: %s",
			ifname, ebpfnet_strerror(err));
		goto out;
	}
	set_stage_mask(chain, ifname, link.ifindex, 0);
	iface_remove(chain, ifname, &link);
	pr_debug("xdp chain: no stage left on %s: dispatcher detached", ifname);
out:
	link_close(&link);
	ebpfnet__xdp_chain_unlock(chain);
	return ebpfnet__err(err);
}

/* ---- reading --------------------------------------------------------------- */

int ebpfnet__xdp_chain_mode(const struct ebpfnet__xdp_chain *chain,
			    const char *ifname)
{
	struct iface_link link;
	int err;

	if (!chain) {
		pr_warn("xdp chain: mode: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	err = check_ifname(ifname);
	if (!err)
		err = link_open(chain, ifname, &link);
	if (err)
		return ebpfnet__err(err);
	err = link_is_live(&link) ?
	      attached_mode(link.ifindex, link.prog_id) : -ENOENT;
	link_close(&link);
	return ebpfnet__err(err);
}

struct ifaces_walk {
	enum xdp_stage stage;
	ebpfnet__xdp_iface_fn fn;
	void *ctx;
};

static int visit_iface(const struct ebpfnet__xdp_chain *chain,
		       const char *ifname, void *ctx)
{
	struct ifaces_walk *walk = ctx;
	struct iface_link link;
	int mode, ret = 0;

	if (link_open(chain, ifname, &link))
		return 0;
	if (link_is_live(&link) &&
	    stage_mask(chain, link.ifindex) & 1U << walk->stage) {
		mode = attached_mode(link.ifindex, link.prog_id);
		if (mode >= 0)
			ret = walk->fn(walk->ctx, ifname, link.ifindex,
				       (enum ebpfnet_xdp_mode)mode);
	}
	link_close(&link);
	return ret;
}

int ebpfnet__xdp_chain_ifaces(const struct ebpfnet__xdp_chain *chain,
			      enum xdp_stage stage, ebpfnet__xdp_iface_fn fn,
			      void *ctx)
{
	struct ifaces_walk walk = { .stage = stage, .fn = fn, .ctx = ctx };
	int err;

	if (!chain || !fn) {
		pr_warn("xdp chain: ifaces: NULL chain or callback");
		return ebpfnet__err(-EINVAL);
	}
	err = check_stage("ifaces", stage);
	if (err)
		return ebpfnet__err(err);
	return for_each_iface_dir(chain, visit_iface, &walk);
}

static int count_live(const struct ebpfnet__xdp_chain *chain,
		      const char *ifname, void *ctx)
{
	struct iface_link link;

	(void)ctx;
	if (link_open(chain, ifname, &link))
		return 0;
	if (link_is_live(&link) && stage_mask(chain, link.ifindex)) {
		link_close(&link);
		return 1;
	}
	link_close(&link);
	return 0;
}

bool ebpfnet__xdp_chain_unused(const struct ebpfnet__xdp_chain *chain)
{
	int fd;
	__u32 slot, prog_id;

	if (!chain)
		return false;
	fd = map_fd(chain, MAP_CHAIN);
	for (slot = 0; slot < XDP_STAGE_MAX; slot++) {
		if (!bpf_map_lookup_elem(fd, &slot, &prog_id))
			return false;
	}
	return for_each_iface_dir(chain, count_live, NULL) == 0;
}

/* Remove the pins of an interface that was deleted. */
static int remove_stale_iface(const struct ebpfnet__xdp_chain *chain,
			      const char *ifname, void *ctx)
{
	struct iface_link link;

	(void)ctx;
	if (link_open(chain, ifname, &link) == 0 && link_is_live(&link)) {
		link_close(&link);
		return 0;
	}
	iface_remove(chain, ifname, &link);
	return 0;
}

int ebpfnet__xdp_chain_remove(struct ebpfnet__xdp_chain *chain)
{
	int err;

	if (!chain) {
		pr_warn("xdp chain: remove: NULL chain");
		return ebpfnet__err(-EINVAL);
	}
	err = begin_change(chain);
	if (err)
		return ebpfnet__err(err);
	if (!ebpfnet__xdp_chain_unused(chain)) {
		pr_warn("xdp chain: still in use under %s: not removed",
			chain->dir);
		ebpfnet__xdp_chain_unlock(chain);
		return ebpfnet__err(-EBUSY);
	}
	for_each_iface_dir(chain, remove_stale_iface, NULL);
	for (int i = 0; i < CHAIN_MAPS; i++)
		unpin(chain, chain_maps[i].pin);
	ebpfnet__pin_dir_cleanup(chain->pin_root, chain->dir);
	pr_debug("xdp chain: removed the pins under %s", chain->dir);
	ebpfnet__xdp_chain_unlock(chain);
	return 0;
}
