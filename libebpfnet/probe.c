/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * Kernel feature probing: what the running kernel and this process offer,
 * found by trying (loading a trivial program, reading a file) rather than
 * by kernel version. Probing mounts nothing and leaves no BPF object behind.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <linux/capability.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "internal.h"

/* Older UAPI headers lack the split capabilities (Linux 5.8). */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* The execve syscall as the architectures name it in BTF, for the fentry
 * probe. */
static const char *const execve_funcs[] = {
	"__x64_sys_execve", "__arm64_sys_execve", "__s390x_sys_execve",
	"sys_execve",
};

static bool path_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* A path below the tracefs mount, when one is mounted. */
static bool tracefs_has(const struct ebpfnet_features *f, const char *rel)
{
	char path[PATH_MAX];

	if (!f->tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/%s", f->tracefs_path, rel);
	return path_exists(path);
}

static bool prog_type_loads(enum bpf_prog_type type, const char *what)
{
	int ret;

	ebpfnet__libbpf_quiet_begin();
	ret = libbpf_probe_bpf_prog_type(type, NULL);
	ebpfnet__libbpf_quiet_end();
	pr_debug("probe: %s programs: %s", what,
		 ret == 1 ? "load" : ret == 0 ? "not supported" :
		 ebpfnet_strerror(ret));
	return ret == 1;
}

static bool map_type_works(enum bpf_map_type type, const char *what)
{
	int ret;

	ebpfnet__libbpf_quiet_begin();
	ret = libbpf_probe_bpf_map_type(type, NULL);
	ebpfnet__libbpf_quiet_end();
	pr_debug("probe: %s maps: %s", what,
		 ret == 1 ? "work" : ret == 0 ? "not supported" :
		 ebpfnet_strerror(ret));
	return ret == 1;
}

/* The BTF id of the execve syscall function, or a negative errno. */
static int find_execve_btf_id(const struct btf *vmlinux, const char **name)
{
	size_t i;
	int id;

	for (i = 0; i < EBPFNET_ARRAY_SIZE(execve_funcs); i++) {
		id = btf__find_by_name_kind(vmlinux, execve_funcs[i],
					    BTF_KIND_FUNC);
		if (id > 0) {
			*name = execve_funcs[i];
			return id;
		}
	}
	return -ENOENT;
}

/* Attach a loaded fentry program (and detach at once): kernels may load a
 * tracing program yet refuse the trampoline. */
static bool fentry_attaches(int prog_fd)
{
	int link_fd;

	link_fd = bpf_raw_tracepoint_open(NULL, prog_fd);
	if (link_fd < 0)
		link_fd = bpf_link_create(prog_fd, 0, BPF_TRACE_FENTRY, NULL);
	if (link_fd < 0) {
		pr_debug("probe: fentry: attach failed: %s",
			 ebpfnet_strerror(link_fd));
		return false;
	}
	close(link_fd);
	return true;
}

/* Load "return 0" as a fentry program on execve and attach it. */
static bool probe_fentry(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FENTRY);
	const char *func = NULL;
	struct btf *vmlinux;
	bool ok = false;
	int id, fd;

	ebpfnet__libbpf_quiet_begin();
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		pr_debug("probe: fentry: no vmlinux BTF: %s",
			 ebpfnet_strerror(-errno));
		goto out;
	}
	id = find_execve_btf_id(vmlinux, &func);
	if (id < 0) {
		pr_debug("probe: fentry: no execve function in vmlinux BTF");
		goto out;
	}
	opts.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns,
			   EBPFNET_ARRAY_SIZE(insns), &opts);
	if (fd < 0) {
		pr_debug("probe: fentry: loading a program on %s failed: %s",
			 func, ebpfnet_strerror(fd));
		goto out;
	}
	ok = fentry_attaches(fd);
	close(fd);
	pr_debug("probe: fentry on %s: %s", func, ok ? "works" : "no");
out:
	btf__free(vmlinux);
	ebpfnet__libbpf_quiet_end();
	return ok;
}

/* The process's effective capabilities, via capget(2) (no libcap). */
static void probe_caps(struct ebpfnet_features *f)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

#define HAS_CAP(n) (!!(data[(n) / 32].effective & (1u << ((n) % 32))))
	if (syscall(SYS_capget, &hdr, data)) {
		pr_debug("probe: capget failed: %s", ebpfnet_strerror(-errno));
		return;
	}
	f->cap_sys_admin = HAS_CAP(CAP_SYS_ADMIN);
	f->cap_bpf = HAS_CAP(CAP_BPF) || f->cap_sys_admin;
	f->cap_perfmon = HAS_CAP(CAP_PERFMON) || f->cap_sys_admin;
	f->cap_net_admin = HAS_CAP(CAP_NET_ADMIN);
#undef HAS_CAP
}

static void probe_mounts(struct ebpfnet_features *f)
{
	f->cgroup2 = ebpfnet__find_mount("cgroup2", f->cgroup2_path,
					 sizeof(f->cgroup2_path)) == 0;
	f->bpffs = ebpfnet__find_mount("bpf", f->bpffs_path,
				       sizeof(f->bpffs_path)) == 0;
	f->tracefs = ebpfnet__find_mount("tracefs", f->tracefs_path,
					 sizeof(f->tracefs_path)) == 0;
	if (!f->cgroup2)
		f->cgroup2_path[0] = '\0';
	if (!f->bpffs)
		f->bpffs_path[0] = '\0';
	if (!f->tracefs)
		f->tracefs_path[0] = '\0';
}

int ebpfnet__probe(struct ebpfnet_features *f)
{
	struct utsname uts;

	if (!f)
		return ebpfnet__err(-EINVAL);
	memset(f, 0, sizeof(*f));
	f->sz = sizeof(*f);
	if (uname(&uts) == 0)
		snprintf(f->kernel_release, sizeof(f->kernel_release), "%s",
			 uts.release);
	probe_mounts(f);
	probe_caps(f);
	f->bpf_syscall = prog_type_loads(BPF_PROG_TYPE_SOCKET_FILTER,
					 "socket filter");
	f->btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
	f->ringbuf = map_type_works(BPF_MAP_TYPE_RINGBUF, "ring buffer");
	f->kprobe = path_exists("/sys/bus/event_source/devices/kprobe/type") ||
		    tracefs_has(f, "kprobe_events");
	/* Without vmlinux BTF there is nothing to attach fentry to. */
	f->fentry = f->btf && probe_fentry();
	/* The tracepoint PMU, and (where tracefs lets us look) the very
	 * event the exec tracer needs: syscall tracepoints are optional. */
	f->tracepoint = path_exists("/sys/bus/event_source/devices/tracepoint") &&
			(!f->tracefs ||
			 tracefs_has(f, "events/syscalls/sys_enter_execve"));
	f->raw_tracepoint = prog_type_loads(BPF_PROG_TYPE_RAW_TRACEPOINT,
					    "raw tracepoint");
	f->xdp = prog_type_loads(BPF_PROG_TYPE_XDP, "XDP");
	f->tc = prog_type_loads(BPF_PROG_TYPE_SCHED_CLS, "TC (sched_cls)");
	f->cgroup_sock_addr = prog_type_loads(BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
					      "cgroup sock_addr");
	pr_debug("probe: kernel %s: kprobe %s, tracepoint %s, btf %s",
		 f->kernel_release, f->kprobe ? "yes" : "no",
		 f->tracepoint ? "yes" : "no", f->btf ? "yes" : "no");
	return 0;
}

int ebpfnet_probe_features(struct ebpfnet_features *features)
{
	struct ebpfnet_features probed;
	int err;

	if (!features) {
		pr_warn("probe features: NULL struct ebpfnet_features");
		return ebpfnet__err(-EINVAL);
	}
	if (features->sz < sizeof(size_t)) {
		pr_warn("struct ebpfnet_features: sz %zu is smaller than its sz field (declare it with EBPFNET_OPTS)",
			features->sz);
		return ebpfnet__err(-EINVAL);
	}
	err = ebpfnet__probe(&probed);
	if (err)
		return err;
	return ebpfnet__out_copy(features, &probed, sizeof(probed),
				 "ebpfnet_features");
}
