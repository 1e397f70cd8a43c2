/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * An object's stage on the XDP chain (stage.h).
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "internal.h"
#include "maps.h"
#include "stage.h"

int ebpfnet__stage_open(struct ebpfnet__pinned *p,
			const struct ebpfnet__pinned_kind *kind,
			const char *pin_root, bool existing,
			struct ebpfnet__xdp_chain **chain)
{
	int err = ebpfnet__pinned_init(p, kind, pin_root);

	if (!err)
		err = ebpfnet__pinned_lock_open(p, existing);
	if (!err)
		err = ebpfnet__xdp_chain_open(p->pin_root, chain);
	return err;
}

int ebpfnet__stage_check_ifname(const char *fn, const char *ifname)
{
	if (!ifname || !*ifname) {
		pr_warn("%s: ifname is %s", fn, ifname ? "empty" : "NULL");
		return -EINVAL;
	}
	if (strnlen(ifname, IF_NAMESIZE) >= IF_NAMESIZE) {
		pr_warn("%s: ifname '%.32s...' is longer than %d bytes", fn,
			ifname, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	return 0;
}

static int check_mode(const char *fn, enum ebpfnet_xdp_mode mode)
{
	if (mode != EBPFNET_XDP_MODE_AUTO && mode != EBPFNET_XDP_MODE_NATIVE &&
	    mode != EBPFNET_XDP_MODE_GENERIC) {
		pr_warn("%s: mode %d is not auto, native or generic", fn, (int)mode);
		return -EINVAL;
	}
	return 0;
}

int ebpfnet__stage_check_attach(const char *fn, const char *object,
				const char *ifname, enum ebpfnet_xdp_mode mode,
				uint32_t *ifindex)
{
	int err = ebpfnet__stage_check_ifname(fn, ifname);
	unsigned int index;

	if (!err)
		err = check_mode(fn, mode);
	if (err)
		return err;
	index = if_nametoindex(ifname);
	if (!index) {
		pr_warn("%s: no interface named %s", object, ifname);
		return -ENODEV;
	}
	if (ifindex)
		*ifindex = index;
	return 0;
}

int ebpfnet__stage_share_chain_maps(const struct ebpfnet__xdp_chain *chain,
				    struct bpf_object *obj, const char *object)
{
	int err = ebpfnet__xdp_chain_share(chain, obj);

	if (err)
		return ebpfnet__map_fail(object, "sharing the XDP chain's maps", err);
	return 0;
}

static int count_iface(void *ctx, const char *ifname, uint32_t ifindex,
		       enum ebpfnet_xdp_mode mode)
{
	(void)ifname;
	(void)ifindex;
	(void)mode;
	(*(unsigned int *)ctx)++;
	return 0;
}

int ebpfnet__stage_iface_count(const struct ebpfnet__xdp_chain *chain,
			       enum xdp_stage stage)
{
	unsigned int n = 0;
	int err = ebpfnet__xdp_chain_ifaces(chain, stage, count_iface, &n);

	return err < 0 ? err : (int)n;
}

int ebpfnet__stage_enable(struct ebpfnet__xdp_chain *chain,
			  enum xdp_stage stage, const char *ifname,
			  enum ebpfnet_xdp_mode mode, int prog_fd,
			  enum ebpfnet_xdp_mode *active)
{
	int before = ebpfnet__stage_iface_count(chain, stage);
	int err = before < 0 ? before : 0;

	/* The program takes the stage first (an upgrade when an older one
	 * is there: one slot update), then the interface gets the stage. */
	if (!err)
		err = ebpfnet__xdp_chain_set_stage(chain, stage, prog_fd);
	if (!err) {
		err = ebpfnet__xdp_chain_enable(chain, ifname, stage, mode, active);
		/* Nothing else runs it: leave the slot as it was (empty). */
		if (err && before == 0)
			ebpfnet__xdp_chain_clear_stage(chain, stage);
	}
	return err;
}

int ebpfnet__stage_attach_result(const char *object, const char *ifname,
				 int err, enum ebpfnet_xdp_mode active)
{
	if (err) {
		pr_warn("%s: cannot attach to %s: %s", object, ifname,
			ebpfnet_strerror(err));
		return ebpfnet__err(err);
	}
	pr_info("%s: attached to %s in %s mode", object, ifname,
		ebpfnet_xdp_mode_name(active));
	return 0;
}

int ebpfnet__stage_disable(struct ebpfnet__xdp_chain *chain,
			   enum xdp_stage stage, const char *object,
			   const char *ifname, int *left)
{
	int err = ebpfnet__xdp_chain_disable(chain, ifname, stage);

	if (err == -ENOENT)
		pr_warn("%s: not attached to %s", object, ifname);
	else if (err)
		pr_warn("%s: cannot detach from %s: %s", object, ifname,
			ebpfnet_strerror(err));
	if (err)
		return err;
	pr_info("%s: detached from %s", object, ifname);
	*left = ebpfnet__stage_iface_count(chain, stage);
	return 0;
}

struct find_iface {
	const char *ifname;
	int mode;
};

static int match_iface(void *ctx, const char *ifname, uint32_t ifindex,
		       enum ebpfnet_xdp_mode mode)
{
	struct find_iface *f = ctx;

	(void)ifindex;
	if (strcmp(ifname, f->ifname))
		return 0;
	f->mode = mode;
	return 1; /* found: stop the walk */
}

int ebpfnet__stage_mode(const struct ebpfnet__xdp_chain *chain,
			enum xdp_stage stage, const char *fn, const char *object,
			const char *ifname)
{
	struct find_iface f = { .ifname = ifname, .mode = -ENOENT };
	int err = ebpfnet__stage_check_ifname(fn, ifname);

	if (!err) {
		err = ebpfnet__xdp_chain_ifaces(chain, stage, match_iface, &f);
		if (err > 0)
			err = 0;
	}
	if (err)
		return err;
	if (f.mode < 0)
		pr_debug("%s: not attached to %s", object, ifname);
	return f.mode;
}

void ebpfnet__stage_remove(struct ebpfnet__pinned *p,
			   struct ebpfnet__xdp_chain *chain,
			   enum xdp_stage stage, const char *why)
{
	const char *object = p->kind->object;
	int err = ebpfnet__xdp_chain_clear_stage(chain, stage);

	if (err)
		pr_warn("%s: cannot empty the %s stage: %s", object, object,
			ebpfnet_strerror(err));
	ebpfnet__pin_dir_cleanup(p->pin_root, p->dir);
	if (ebpfnet__xdp_chain_unused(chain))
		ebpfnet__xdp_chain_remove(chain);
	pr_info("%s: removed the %s under %s: %s", object, p->kind->noun,
		p->dir, why);
}

void ebpfnet__stage_remove_if_empty(struct ebpfnet__pinned *p,
				    struct ebpfnet__xdp_chain *chain,
				    enum xdp_stage stage, int model_fd,
				    bool (*in_use)(const struct ebpfnet__pinned *p),
				    const char *why)
{
	if (!chain || model_fd < 0 || ebpfnet__pinned_lock(p, false))
		return;
	if (!ebpfnet__pinned_check_current(p) && ebpfnet__map_empty(model_fd) &&
	    ebpfnet__stage_iface_count(chain, stage) == 0 &&
	    !(in_use && in_use(p)))
		ebpfnet__stage_remove(p, chain, stage, why);
	ebpfnet__pinned_unlock(p);
}

void ebpfnet__stage_undo_open(const struct ebpfnet__pinned *p,
			      struct ebpfnet__xdp_chain *chain, bool created)
{
	if (created && p->dir[0])
		ebpfnet__pin_dir_cleanup(p->pin_root, p->dir);
	if (chain && ebpfnet__xdp_chain_unused(chain))
		ebpfnet__xdp_chain_remove(chain);
}
