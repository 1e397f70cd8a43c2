/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * An object's stage on the XDP chain (xdp_chain.h), as drop and lb run
 * it: the checks of their attach/detach/mode arguments, sharing the
 * chain's maps with the object's program, enabling and disabling the
 * stage on an interface, and removing the object's pins (and the chain's,
 * when nothing else uses it) once it holds nothing. Messages start with
 * the object's name ("drop: not attached to eth0").
 */
#ifndef EBPFNET_STAGE_H
#define EBPFNET_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <ebpfnet/core.h>
#include "pinned.h"
#include "xdp_chain.h"

struct bpf_object;

/* The start of an open: the object's directory under pin_root locked as
 * ebpfnet__pinned_lock_open() does, then the node's chain opened. */
int ebpfnet__stage_open(struct ebpfnet__pinned *p,
			const struct ebpfnet__pinned_kind *kind,
			const char *pin_root, bool existing,
			struct ebpfnet__xdp_chain **chain);

/* ifname is set and shorter than IF_NAMESIZE (-EINVAL, logged as fn's). */
int ebpfnet__stage_check_ifname(const char *fn, const char *ifname);

/* The arguments of an attach: ifname, mode, and an interface of that
 * name (-ENODEV); its index to *ifindex when ifindex is not NULL. */
int ebpfnet__stage_check_attach(const char *fn, const char *object,
				const char *ifname, enum ebpfnet_xdp_mode mode,
				uint32_t *ifindex);

/* Make the object's chain maps the chain's (ebpfnet__xdp_chain_share,
 * before the load), a failure logged as the object's. */
int ebpfnet__stage_share_chain_maps(const struct ebpfnet__xdp_chain *chain,
				    struct bpf_object *obj, const char *object);

/* Interfaces where the stage is enabled, or a negative errno. */
int ebpfnet__stage_iface_count(const struct ebpfnet__xdp_chain *chain,
			       enum xdp_stage stage);

/* Put prog_fd in the stage's slot, then enable the stage on ifname (the
 * mode it runs in to *active). When that fails and no other interface
 * runs the stage, the slot is emptied again. Logs nothing itself. */
int ebpfnet__stage_enable(struct ebpfnet__xdp_chain *chain,
			  enum xdp_stage stage, const char *ifname,
			  enum ebpfnet_xdp_mode mode, int prog_fd,
			  enum ebpfnet_xdp_mode *active);

/* Log how an attach ended ("attached to <ifname> in <mode> mode", or why
 * not) and return err, errno set. */
int ebpfnet__stage_attach_result(const char *object, const char *ifname,
				 int err, enum ebpfnet_xdp_mode active);

/* Disable the stage on ifname (-ENOENT: it was not enabled there), logged
 * either way; then *left: the interfaces still running it (or a negative
 * errno). */
int ebpfnet__stage_disable(struct ebpfnet__xdp_chain *chain,
			   enum xdp_stage stage, const char *object,
			   const char *ifname, int *left);

/* The mode the stage runs in on ifname; -ENOENT when it does not run
 * there. */
int ebpfnet__stage_mode(const struct ebpfnet__xdp_chain *chain,
			enum xdp_stage stage, const char *fn, const char *object,
			const char *ifname);

/* Empty the stage's slot, remove the object's pins, and the chain's when
 * nothing else uses it; log "removed the <noun> under <dir>: <why>".
 * Called with the object's lock held. */
void ebpfnet__stage_remove(struct ebpfnet__pinned *p,
			   struct ebpfnet__xdp_chain *chain,
			   enum xdp_stage stage, const char *why);

/* An object whose map model_fd (its rules, its services) is empty, that
 * no interface runs, and that in_use(p) (NULL: no such check) does not
 * claim holds nothing worth keeping (a read-only open of a clean node
 * created it): remove it as above. Every check is made under the lock,
 * so no other process can make the object non-empty in between; does
 * nothing when the object pinned now is not this handle's. */
void ebpfnet__stage_remove_if_empty(struct ebpfnet__pinned *p,
				    struct ebpfnet__xdp_chain *chain,
				    enum xdp_stage stage, int model_fd,
				    bool (*in_use)(const struct ebpfnet__pinned *p),
				    const char *why);

/* What a failed open leaves: nothing it created (created: the object's
 * directory), and no chain nothing uses. */
void ebpfnet__stage_undo_open(const struct ebpfnet__pinned *p,
			      struct ebpfnet__xdp_chain *chain, bool created);

#endif /* EBPFNET_STAGE_H */
