/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * lb's backend side: the decapsulation program (bpf/lb_decap.bpf.c) on an
 * interface's TC ingress, at EBPFNET_TC_PRIO_LB_DECAP (tc.h). Its maps are
 * pinned under <pin_root>/lb-decap/<ifname>/; the program itself needs no
 * pin: a TC filter holds it on the interface's clsact qdisc, which
 * outlives the process. Attaching again replaces the program (atomically
 * for packets) and rewrites the accepted outer sources.
 *
 * Also here: the outer source prefixes (Katran's conventions), parsed the
 * same way for the balancer (lb.c) and for the decap program.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "lb_internal.h"
#include "tc.h"
#include "lb_decap.skel.h"

#define DECAP_OBJECT "lb-decap"
#define DECAP_CONFIG_MAP "lb_decap_config"
#define DECAP_MAP_PREFIX "lb_decap" /* every map of the object that is pinned */
#define DEFAULT_OUTER_SRC4 "172.16.0.0/16"
#define DEFAULT_OUTER_SRC6 "100::/64"
/* Katran builds the low 16 bits of an IPv4 outer source and the low 64 of
 * an IPv6 one from the flow: the prefix must leave them free. */
#define OUTER_SRC4_MAX_LEN 16
#define OUTER_SRC6_MAX_LEN 64

/* ---- outer source prefixes ------------------------------------------------- */

/* "ADDR/LEN" of `family` into addr (host bits cleared) and *len. */
static int prefix_parse(const char *what, const char *text, int family,
			unsigned int max_len, uint8_t *addr, __u32 *len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits;

	if (strlen(text) >= sizeof(buf) || !(slash = strchr(strcpy(buf, text), '/'))) {
		pr_warn("%s: '%s' is not ADDRESS/LENGTH", what, text);
		return -EINVAL;
	}
	*slash = '\0';
	if (inet_pton(family, buf, addr) != 1) {
		pr_warn("%s: '%s' is not an IPv%d address", what, buf,
			family == AF_INET ? 4 : 6);
		return -EINVAL;
	}
	errno = 0;
	bits = strtoul(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || slash[1] == '-' || bits > max_len) {
		pr_warn("%s: prefix length '%s' is not 0..%u (the rest of the address is built from each flow)",
			what, slash + 1, max_len);
		return -EINVAL;
	}
	for (size_t i = 0; i < alen; i++) {
		size_t first = i * 8;

		if (first >= bits)
			addr[i] = 0;
		else if (first + 8 > bits)
			addr[i] &= (uint8_t)(0xff << (8 - (bits - first)));
	}
	*len = (__u32)bits;
	return 0;
}

int ebpfnet__lb_outer_parse(const char *src4, const char *src6,
			    const char *opts_name, struct lb_decap_config *out)
{
	char what[96];
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(what, sizeof(what), "%s.outer_src4", opts_name);
	err = prefix_parse(what, src4 ? src4 : DEFAULT_OUTER_SRC4, AF_INET,
			   OUTER_SRC4_MAX_LEN, out->outer_src4, &out->outer_src4_len);
	if (err)
		return err;
	snprintf(what, sizeof(what), "%s.outer_src6", opts_name);
	return prefix_parse(what, src6 ? src6 : DEFAULT_OUTER_SRC6, AF_INET6,
			    OUTER_SRC6_MAX_LEN, out->outer_src6, &out->outer_src6_len);
}

/* ---- the pin directory and its lock --------------------------------------- */

struct decap {
	const char *pin_root;
	const char *ifname;
	uint32_t ifindex;
	char dir[PATH_MAX];   /* <pin_root>/lb-decap/<ifname> */
	int lock_fd;
};

/* flock the pin directory; a detach may remove it while we wait: then
 * lock what the path names now (made again with `create`). */
static int decap_lock(struct decap *d, bool create)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		struct stat held, now;
		int fd, err;

		if (create) {
			err = ebpfnet__pin_dir(d->pin_root, DECAP_OBJECT, d->ifname,
					       d->dir, sizeof(d->dir));
			if (err)
				return err;
		}
		fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			if (err != -ENOENT)
				pr_warn("lb decap: cannot open %s: %s", d->dir,
					ebpfnet_strerror(err));
			return err;
		}
		if (flock(fd, LOCK_EX)) {
			err = -errno;
			pr_warn("lb decap: cannot lock %s: %s", d->dir,
				ebpfnet_strerror(err));
			close(fd);
			return err;
		}
		if (!fstat(fd, &held) && !stat(d->dir, &now) &&
		    held.st_ino == now.st_ino && held.st_dev == now.st_dev) {
			d->lock_fd = fd;
			return 0;
		}
		close(fd);
		if (!create)
			return -ENOENT;
	}
	pr_warn("lb decap: %s keeps being removed and created again", d->dir);
	return -EAGAIN;
}

static void decap_unlock(struct decap *d)
{
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
}

static bool config_pinned(const struct decap *d)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", d->dir, DECAP_CONFIG_MAP);
	return stat(path, &st) == 0;
}

/* ---- arguments ---------------------------------------------------------------- */

static int decap_init(struct decap *d, const char *fn, const char *ifname,
		      const struct ebpfnet_lb_decap_opts *opts)
{
	int n;

	memset(d, 0, sizeof(*d));
	d->lock_fd = -1;
	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_lb_decap_opts, outer_src6))
		return -EINVAL;
	if (!ifname || !*ifname || strnlen(ifname, IF_NAMESIZE) >= IF_NAMESIZE) {
		pr_warn("%s: ifname is %s", fn, !ifname ? "NULL" : !*ifname ? "empty" :
			"longer than an interface name");
		return -EINVAL;
	}
	d->ifname = ifname;
	d->pin_root = EBPFNET_OPTS_GET(opts, pin_root, NULL);
	if (!d->pin_root)
		d->pin_root = EBPFNET_PIN_ROOT_DEFAULT;
	n = snprintf(d->dir, sizeof(d->dir), "%s/%s/%s", d->pin_root,
		     DECAP_OBJECT, ifname);
	if (n < 0 || (size_t)n >= sizeof(d->dir) - 64) {
		pr_warn("%s: pin_root is too long", fn);
		return -ENAMETOOLONG;
	}
	d->ifindex = if_nametoindex(ifname);
	return 0;
}

/* ---- attach --------------------------------------------------------------------- */

static struct bpf_program *decap_program(struct lb_decap_bpf *skel)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
		if (bpf_program__type(prog) == BPF_PROG_TYPE_SCHED_CLS)
			return prog;
	return NULL;
}

static int pin_maps(const struct decap *d, struct lb_decap_bpf *skel)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, skel->obj) {
		char path[PATH_MAX + 64];
		int err;

		if (strncmp(bpf_map__name(map), DECAP_MAP_PREFIX,
			    strlen(DECAP_MAP_PREFIX)))
			continue; /* internal maps (.rodata, ...) stay per load */
		snprintf(path, sizeof(path), "%s/%s", d->dir, bpf_map__name(map));
		err = bpf_map__set_pin_path(map, path);
		if (err) {
			pr_warn("lb decap: cannot pin %s: %s", path,
				ebpfnet_strerror(err));
			return err;
		}
	}
	return 0;
}

/* Load the program on the pinned maps (made when missing), write the
 * accepted prefixes and attach it. Called with the lock held. */
static int load_and_attach(const struct decap *d,
			   const struct lb_decap_config *conf)
{
	struct lb_decap_bpf *skel = lb_decap_bpf__open();
	struct bpf_program *prog;
	struct bpf_map *config;
	__u32 key = 0;
	int err;

	if (!skel) {
		err = -errno;
		pr_warn("lb decap: cannot open the BPF object: %s", ebpfnet_strerror(err));
		return err;
	}
	prog = decap_program(skel);
	config = bpf_object__find_map_by_name(skel->obj, DECAP_CONFIG_MAP);
	if (!prog || !config) {
		pr_warn("lb decap: the BPF object has no %s", !prog ?
			"TC program" : "map " DECAP_CONFIG_MAP);
		err = -ENOENT;
		goto out;
	}
	err = pin_maps(d, skel);
	if (!err) {
		err = lb_decap_bpf__load(skel);
		if (err)
			pr_warn("lb decap: cannot load the program on the maps under %s: %s%s",
				d->dir, ebpfnet_strerror(err),
				err == -EINVAL ? " (pins left by an incompatible version?)" : "");
	}
	if (!err && bpf_map_update_elem(bpf_map__fd(config), &key, conf, BPF_ANY)) {
		err = -errno;
		pr_warn("lb decap: cannot write %s: %s", DECAP_CONFIG_MAP,
			ebpfnet_strerror(err));
	}
	if (!err)
		err = ebpfnet__tc_attach(d->ifindex, true, EBPFNET_TC_PRIO_LB_DECAP,
					 bpf_program__fd(prog));
out:
	lb_decap_bpf__destroy(skel); /* the filter holds the program, the pins the maps */
	return err;
}

int ebpfnet_lb_decap_attach(const char *ifname,
			    const struct ebpfnet_lb_decap_opts *opts)
{
	struct lb_decap_config conf;
	struct decap d;
	bool existed;
	int err;

	err = decap_init(&d, "ebpfnet_lb_decap_attach", ifname, opts);
	if (!err)
		err = ebpfnet__lb_outer_parse(EBPFNET_OPTS_GET(opts, outer_src4, NULL),
					      EBPFNET_OPTS_GET(opts, outer_src6, NULL),
					      "ebpfnet_lb_decap_opts", &conf);
	if (!err && !d.ifindex) {
		pr_warn("lb decap: no interface named %s", ifname);
		err = -ENODEV;
	}
	if (!err)
		err = decap_lock(&d, true);
	if (err)
		return ebpfnet__err(err);
	existed = config_pinned(&d);
	err = load_and_attach(&d, &conf);
	if (err && !existed)
		ebpfnet__pin_dir_cleanup(d.pin_root, d.dir);
	decap_unlock(&d);
	if (err) {
		pr_warn("lb decap: cannot attach to %s: %s", ifname, ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	pr_info("lb decap: %s %s ingress", existed ? "replaced on" : "attached to",
		ifname);
	return 0;
}

/* ---- detach --------------------------------------------------------------------- */

int ebpfnet_lb_decap_detach(const char *ifname,
			    const struct ebpfnet_lb_decap_opts *opts)
{
	bool pinned = false, attached = false;
	struct decap d;
	int err;

	err = decap_init(&d, "ebpfnet_lb_decap_detach", ifname, opts);
	if (err)
		return ebpfnet__err(err);
	err = decap_lock(&d, false);
	if (err && err != -ENOENT)
		return ebpfnet__err(err);
	pinned = !err;
	err = 0;
	if (d.ifindex) {
		err = ebpfnet__tc_detach(d.ifindex, true, EBPFNET_TC_PRIO_LB_DECAP);
		attached = !err;
		if (err == -ENOENT)
			err = 0;
	}
	if (!err && pinned)
		ebpfnet__pin_dir_cleanup(d.pin_root, d.dir);
	decap_unlock(&d);
	if (err)
		return ebpfnet__err(err);
	if (!pinned && !attached) {
		pr_warn("lb decap: not attached to %s%s", ifname,
			d.ifindex ? "" : " (no such interface)");
		return ebpfnet__err(d.ifindex ? -ENOENT : -ENODEV);
	}
	pr_info("lb decap: detached from %s", ifname);
	return 0;
}
