/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * hello: the exec tracer object. Validates the options, chooses a hook
 * from what the kernel offers (falling back down the list under AUTO when
 * a load fails), loads the programs of that hook from the embedded
 * skeleton, and delivers ring buffer records (or, in printk mode,
 * trace_pipe lines) to the caller's callback.
 *
 * No pinning: the programs live exactly as long as the handle, since an
 * exec trace nobody reads is of no use.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "events.h"
#include "hello_internal.h"
#include "hello.skel.h"

#define HELLO_RINGBUF_DEFAULT (4u << 20)
#define HELLO_RINGBUF_MAX ((size_t)1 << 30)
#define HELLO_LINE_MAX 4096

/* The options, validated. */
struct hello_config {
	enum ebpfnet_hello_hook hook;
	ebpfnet_hello_event_fn on_event;
	ebpfnet_hello_trace_fn on_trace;
	void *ctx;
	bool printk;
	bool filter_uid;
	uint32_t uid;
	bool filter_comm;
	char comm[HELLO_COMM_LEN];
	const char *cgroup_path;
	bool failed_only;
	size_t ringbuf_size;
};

struct ebpfnet_hello {
	struct hello_config cfg;
	enum ebpfnet_hello_hook hook;   /* the one loaded */
	struct hello_bpf *skel;
	struct ring_buffer *rb;         /* events mode */
	int cgroup_fd;                  /* -1 without the cgroup filter */
	int trace_fd;                   /* printk mode, after attach */
	bool attached;
	char tracefs[EBPFNET_PATH_MAX];
	uint64_t events;                /* delivered, for stats */
	/* per poll batch */
	struct ebpfnet__batch batch;   /* of the poll()/consume() running */
	struct hello_decode_buf decode;
	/* printk mode: what was read and not yet delivered */
	char pipe_buf[4096];
	size_t pipe_off, pipe_len;
	char line[HELLO_LINE_MAX];     /* the unfinished last line */
	size_t line_len;
};

/* ---- options ----------------------------------------------------------- */

static int config_from_opts(const struct ebpfnet_hello_opts *opts,
			    struct hello_config *cfg)
{
	const char *comm;
	long page = sysconf(_SC_PAGESIZE);
	size_t rb;

	if (!opts) {
		pr_warn("ebpfnet_hello_open: opts is NULL (ebpfnet_hello_opts.on_event is required)");
		return -EINVAL;
	}
	if (!EBPFNET_OPTS_VALID(opts, ebpfnet_hello_opts, ringbuf_size))
		return -EINVAL;

	memset(cfg, 0, sizeof(*cfg));
	cfg->hook = EBPFNET_OPTS_GET(opts, hook, EBPFNET_HELLO_HOOK_AUTO);
	cfg->on_event = EBPFNET_OPTS_GET(opts, on_event, NULL);
	cfg->on_trace = EBPFNET_OPTS_GET(opts, on_trace, NULL);
	cfg->ctx = EBPFNET_OPTS_GET(opts, ctx, NULL);
	cfg->printk = EBPFNET_OPTS_GET(opts, printk, false);
	cfg->filter_uid = EBPFNET_OPTS_GET(opts, filter_uid, false);
	cfg->uid = EBPFNET_OPTS_GET(opts, uid, 0);
	comm = EBPFNET_OPTS_GET(opts, comm, NULL);
	cfg->cgroup_path = EBPFNET_OPTS_GET(opts, cgroup_path, NULL);
	cfg->failed_only = EBPFNET_OPTS_GET(opts, failed_only, false);
	rb = EBPFNET_OPTS_GET(opts, ringbuf_size, 0);

	if ((unsigned int)cfg->hook > EBPFNET_HELLO_HOOK_TRACEPOINT) {
		pr_warn("ebpfnet_hello_opts.hook: %d is not a hook (0-%d)",
			(int)cfg->hook, EBPFNET_HELLO_HOOK_TRACEPOINT);
		return -EINVAL;
	}
	if (cfg->printk && !cfg->on_trace) {
		pr_warn("ebpfnet_hello_opts.on_trace: required in printk mode");
		return -EINVAL;
	}
	if (!cfg->printk && !cfg->on_event) {
		pr_warn("ebpfnet_hello_opts.on_event: required (unless printk is set)");
		return -EINVAL;
	}
	if (cfg->printk && (cfg->filter_uid || comm || cfg->cgroup_path ||
			    cfg->failed_only)) {
		pr_warn("ebpfnet_hello_opts.printk: the filters (filter_uid, comm, cgroup_path, failed_only) do not apply in printk mode");
		return -EINVAL;
	}
	if (comm) {
		if (strnlen(comm, HELLO_COMM_LEN) >= HELLO_COMM_LEN) {
			pr_warn("ebpfnet_hello_opts.comm: '%.64s%s' is longer than %d bytes",
				comm, strnlen(comm, 65) > 64 ? "..." : "",
				HELLO_COMM_LEN - 1);
			return -EINVAL;
		}
		if (!*comm) {
			pr_warn("ebpfnet_hello_opts.comm: empty (leave it NULL for every comm)");
			return -EINVAL;
		}
		cfg->filter_comm = true;
		strcpy(cfg->comm, comm);
	}
	if (cfg->cgroup_path && !*cfg->cgroup_path) {
		pr_warn("ebpfnet_hello_opts.cgroup_path: empty (leave it NULL for every cgroup)");
		return -EINVAL;
	}
	if (rb == 0) {
		rb = HELLO_RINGBUF_DEFAULT;
	} else if ((rb & (rb - 1)) || rb < (size_t)page || rb > HELLO_RINGBUF_MAX) {
		pr_warn("ebpfnet_hello_opts.ringbuf_size: %zu is not a power of two between the page size (%ld) and 1 GiB",
			rb, page);
		return -EINVAL;
	}
	cfg->ringbuf_size = rb;
	return 0;
}

/* ---- loading ----------------------------------------------------------- */

static const char *syscall_wrapper_prefix(void)
{
#if defined(__x86_64__)
	return "__x64_sys_";
#elif defined(__aarch64__)
	return "__arm64_sys_";
#else
	return NULL;
#endif
}

/* fentry/fexit attach to the arch's syscall wrapper, found in the kernel
 * BTF by libbpf. */
static int set_fentry_target(struct bpf_program *prog, const char *syscall)
{
	const char *prefix = syscall_wrapper_prefix();
	char name[64];
	int err;

	if (!prefix) {
		pr_warn("hello: fentry: no known syscall wrapper on this architecture");
		return -EOPNOTSUPP;
	}
	snprintf(name, sizeof(name), "%s%s", prefix, syscall);
	err = bpf_program__set_attach_target(prog, 0, name);
	if (err) {
		pr_warn("hello: fentry: cannot target %s (not in the kernel BTF?): %s",
			name, ebpfnet_strerror(err));
		return err;
	}
	return 0;
}

/* Select the programs of `hook` (and the re-keying tracepoint). */
static int select_programs(struct hello_bpf *skel, enum ebpfnet_hello_hook hook,
			   const struct ebpfnet_features *f, bool printk)
{
	struct bpf_program *progs[4];
	struct bpf_program *prog;
	int err;

	bpf_object__for_each_program(prog, skel->obj)
		bpf_program__set_autoload(prog, false);

	switch (hook) {
	case EBPFNET_HELLO_HOOK_FENTRY:
		progs[0] = skel->progs.hello_fentry_enter_execve;
		progs[1] = skel->progs.hello_fexit_exit_execve;
		progs[2] = skel->progs.hello_fentry_enter_execveat;
		progs[3] = skel->progs.hello_fexit_exit_execveat;
		if ((err = set_fentry_target(progs[0], "execve")) ||
		    (err = set_fentry_target(progs[1], "execve")) ||
		    (err = set_fentry_target(progs[2], "execveat")) ||
		    (err = set_fentry_target(progs[3], "execveat")))
			return err;
		break;
	case EBPFNET_HELLO_HOOK_KPROBE:
		progs[0] = skel->progs.hello_kprobe_enter_execve;
		progs[1] = skel->progs.hello_kprobe_exit_execve;
		progs[2] = skel->progs.hello_kprobe_enter_execveat;
		progs[3] = skel->progs.hello_kprobe_exit_execveat;
		break;
	case EBPFNET_HELLO_HOOK_TRACEPOINT:
		progs[0] = skel->progs.hello_tp_enter_execve;
		progs[1] = skel->progs.hello_tp_exit_execve;
		progs[2] = skel->progs.hello_tp_enter_execveat;
		progs[3] = skel->progs.hello_tp_exit_execveat;
		break;
	default:
		return -EINVAL;
	}
	for (size_t i = 0; i < EBPFNET_ARRAY_SIZE(progs); i++)
		bpf_program__set_autoload(progs[i], true);
	/* Whatever the hook: a non-leader thread's exec changes its id. */
	bpf_program__set_autoload(skel->progs.hello_tp_sched_exec,
				  f->tracepoint && !printk);
	return 0;
}

static void set_rodata(struct hello_bpf *skel, const struct ebpfnet_hello *h)
{
	const struct hello_config *cfg = &h->cfg;

	skel->rodata->printk_mode = cfg->printk;
	skel->rodata->filter_uid = cfg->filter_uid;
	skel->rodata->uid = cfg->uid;
	skel->rodata->filter_cgroup = h->cgroup_fd >= 0;
	skel->rodata->filter_comm = cfg->filter_comm;
	memcpy(skel->rodata->comm, cfg->comm, sizeof(skel->rodata->comm));
	skel->rodata->failed_only = cfg->failed_only;
}

/* Open and load the skeleton with the programs of `hook`. */
/* Open and load `hook`'s programs. A failure is a warning only when no
 * other hook is left to try (`fallback_left` false). */
static int load_hook(struct ebpfnet_hello *h, enum ebpfnet_hello_hook hook,
		     const struct ebpfnet_features *f, bool fallback_left)
{
	struct hello_bpf *skel;
	int err;

	skel = hello_bpf__open();
	if (!skel) {
		err = -errno;
		pr_warn("hello: cannot open the BPF object: %s", ebpfnet_strerror(err));
		return err;
	}
	err = select_programs(skel, hook, f, h->cfg.printk);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.hello_events,
					       h->cfg.ringbuf_size);
	if (!err) {
		set_rodata(skel, h);
		err = hello_bpf__load(skel);
		if (err)
			ebpfnet__log(fallback_left ? EBPFNET_PRINT_DEBUG : EBPFNET_PRINT_WARN,
				     "hello: loading the %s programs failed: %s",
				     ebpfnet_hello_hook_name(hook), ebpfnet_strerror(err));
	}
	if (err) {
		hello_bpf__destroy(skel);
		return err;
	}
	h->skel = skel;
	h->hook = hook;
	return 0;
}

/* Load the chosen hook; under AUTO, fall back down the list on failure.
 * libbpf's messages are quiet while another hook remains to try. */
static int load(struct ebpfnet_hello *h, const struct ebpfnet_features *f)
{
	int hook = ebpfnet__hello_hook_choose(h->cfg.hook, f);
	int err;

	while (hook >= 0) {
		int next = h->cfg.hook == EBPFNET_HELLO_HOOK_AUTO
				   ? ebpfnet__hello_hook_next(hook, f)
				   : -EOPNOTSUPP;

		if (next >= 0)
			ebpfnet__libbpf_quiet_begin();
		err = load_hook(h, hook, f, next >= 0);
		if (next >= 0)
			ebpfnet__libbpf_quiet_end();
		if (!err)
			return 0;
		if (next < 0)
			return err;
		pr_info("hello: falling back from %s to %s",
			ebpfnet_hello_hook_name(hook), ebpfnet_hello_hook_name(next));
		hook = next;
	}
	return hook;
}

static int handle_record(void *ctx, void *data, size_t size);

/* After load: the cgroup slot and the ring buffer reader. */
static int finish_setup(struct ebpfnet_hello *h)
{
	int err;

	if (h->cgroup_fd >= 0) {
		uint32_t zero = 0;
		uint32_t fd = (uint32_t)h->cgroup_fd;

		err = bpf_map_update_elem(bpf_map__fd(h->skel->maps.hello_cgroup),
					  &zero, &fd, BPF_ANY);
		if (err) {
			err = -errno;
			pr_warn("hello: cannot set the cgroup filter to %s: %s",
				h->cfg.cgroup_path, ebpfnet_strerror(err));
			return err;
		}
	}
	if (!h->cfg.printk) {
		h->rb = ring_buffer__new(bpf_map__fd(h->skel->maps.hello_events),
					 handle_record, h, NULL);
		if (!h->rb) {
			err = -errno;
			pr_warn("hello: cannot read the ring buffer: %s",
				ebpfnet_strerror(err));
			return err;
		}
	}
	return 0;
}

struct ebpfnet_hello *ebpfnet_hello_open(const struct ebpfnet_hello_opts *opts)
{
	EBPFNET_OPTS(ebpfnet_features, features);
	struct ebpfnet_hello *h;
	int err;

	h = calloc(1, sizeof(*h));
	if (!h)
		return ebpfnet__err_ptr(-ENOMEM);
	h->cgroup_fd = -1;
	h->trace_fd = -1;

	/* Everything checkable without privilege comes first. */
	err = config_from_opts(opts, &h->cfg);
	if (err)
		goto fail;
	if (h->cfg.cgroup_path) {
		h->cgroup_fd = ebpfnet__open_cgroup2(h->cfg.cgroup_path);
		if (h->cgroup_fd < 0) {
			err = h->cgroup_fd;
			pr_warn("ebpfnet_hello_opts.cgroup_path: '%s': %s",
				h->cfg.cgroup_path, ebpfnet_strerror(err));
			goto fail;
		}
	}

	/* Tracepoints (and trace_pipe) need a tracefs; fentry does not. */
	err = ebpfnet_mount_tracefs(h->tracefs, sizeof(h->tracefs));
	if (err) {
		if (h->cfg.printk) {
			pr_warn("hello: printk mode needs a tracefs: %s",
				ebpfnet_strerror(err));
			goto fail;
		}
		pr_debug("hello: no tracefs (%s): tracepoints unavailable",
			 ebpfnet_strerror(err));
		h->tracefs[0] = '\0';
	}
	err = ebpfnet__probe(&features);
	if (err)
		goto fail;
	/* Without privilege every probe below fails too: say the real cause. */
	if (!features.cap_bpf || !features.cap_perfmon) {
		pr_warn("hello: tracing execs needs CAP_BPF and CAP_PERFMON (or root)");
		err = -EPERM;
		goto fail;
	}
	if (!features.ringbuf && !h->cfg.printk) {
		pr_warn("hello: this kernel has no BPF ring buffer (Linux 5.8+)");
		err = -EOPNOTSUPP;
		goto fail;
	}
	err = load(h, &features);
	if (err)
		goto fail;
	err = finish_setup(h);
	if (err)
		goto fail;
	pr_info("hello: using the %s hook (requested %s)%s",
		ebpfnet_hello_hook_name(h->hook),
		ebpfnet_hello_hook_name(h->cfg.hook),
		h->cfg.printk ? ", printk mode" : "");
	return h;
fail:
	ebpfnet_hello_destroy(h);
	return ebpfnet__err_ptr(err);
}

/* ---- attach ------------------------------------------------------------ */

static int open_trace_pipe(struct ebpfnet_hello *h)
{
	char path[EBPFNET_PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/trace_pipe", h->tracefs);
	h->trace_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (h->trace_fd < 0) {
		int err = -errno;

		pr_warn("hello: cannot open %s: %s", path, ebpfnet_strerror(err));
		return err;
	}
	return 0;
}

/*
 * Attach in an order that never loses an exec: the exit and re-keying
 * programs first, the entry programs (named *_enter_*) last. An exec
 * recorded at entry then always finds the programs that complete it; with
 * the skeleton's order (the object's), an exec in the window between the
 * two would be sent without its re-read filename and argv.
 */
static int attach_in_order(struct hello_bpf *skel)
{
	const struct bpf_object_skeleton *s = skel->skeleton;

	for (int entry_pass = 0; entry_pass < 2; entry_pass++) {
		for (int i = 0; i < s->prog_cnt; i++) {
			struct bpf_program *prog = *s->progs[i].prog;
			struct bpf_link **link = s->progs[i].link;
			bool entry = strstr(bpf_program__name(prog), "_enter_");

			if (!bpf_program__autoload(prog) || entry != entry_pass)
				continue;
			*link = bpf_program__attach(prog);
			if (!*link) {
				int err = -errno;

				pr_warn("hello: attaching %s failed: %s",
					bpf_program__name(prog), ebpfnet_strerror(err));
				return err;
			}
		}
	}
	return 0;
}

int ebpfnet_hello_attach(struct ebpfnet_hello *hello)
{
	int err;

	if (!hello) {
		pr_warn("ebpfnet_hello_attach: hello is NULL");
		return ebpfnet__err(-EINVAL);
	}
	if (hello->attached)
		return 0;
	if (hello->cfg.printk && hello->trace_fd < 0) {
		err = open_trace_pipe(hello);
		if (err)
			return ebpfnet__err(err);
	}
	err = attach_in_order(hello->skel);
	if (err) {
		pr_warn("hello: attaching the %s programs failed: %s",
			ebpfnet_hello_hook_name(hello->hook), ebpfnet_strerror(err));
		hello_bpf__detach(hello->skel); /* no half-attached state */
		return ebpfnet__err(err);
	}
	hello->attached = true;
	return 0;
}

/* ---- events ------------------------------------------------------------ */

/* Stops libbpf's loop; the callback's own value is in batch.stop. */
#define HELLO_STOP (-ECANCELED)

static int handle_record(void *ctx, void *data, size_t size)
{
	struct ebpfnet_hello *h = ctx;
	struct ebpfnet_hello_event event;
	int ret;

	if (ebpfnet__hello_decode(data, size, h->batch.realtime_offset_ns, &h->decode,
				  &event)) {
		pr_warn("hello: skipped a malformed record of %zu bytes", size);
		return 0;
	}
	h->events++;
	h->batch.delivered++;
	ret = h->cfg.on_event(h->cfg.ctx, &event);
	if (ret) {
		h->batch.stop = ret;
		return HELLO_STOP;
	}
	return 0;
}

static int deliver_line(struct ebpfnet_hello *h, const char *line)
{
	int ret;

	h->events++;
	h->batch.delivered++;
	ret = h->cfg.on_trace(h->cfg.ctx, line);
	if (ret)
		h->batch.stop = ret;
	return ret;
}

/* Deliver the complete lines of what was read; keep an unfinished one
 * for later, and what follows a line whose callback said stop for the
 * next call. A line longer than the buffer is delivered in pieces. */
static int deliver_lines(struct ebpfnet_hello *h)
{
	while (h->pipe_off < h->pipe_len) {
		char c = h->pipe_buf[h->pipe_off++];

		if (c != '\n') {
			h->line[h->line_len++] = c;
			if (h->line_len < sizeof(h->line) - 1)
				continue;
		}
		h->line[h->line_len] = '\0';
		h->line_len = 0;
		if (deliver_line(h, h->line))
			return HELLO_STOP;
	}
	return 0;
}

static int poll_trace_pipe(struct ebpfnet_hello *h, int timeout_ms)
{
	struct pollfd pfd = { .fd = h->trace_fd, .events = POLLIN };
	int n;

	if (deliver_lines(h)) /* left over from a stopped call */
		return HELLO_STOP;
	n = poll(&pfd, 1, h->batch.delivered ? 0 : timeout_ms);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	for (;;) {
		ssize_t got = read(h->trace_fd, h->pipe_buf, sizeof(h->pipe_buf));

		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		if (got == 0)
			return 0;
		h->pipe_off = 0;
		h->pipe_len = (size_t)got;
		if (deliver_lines(h))
			return HELLO_STOP;
	}
}

static int check_handle(const struct ebpfnet_hello *h, const char *fn)
{
	if (!h) {
		pr_warn("%s: hello is NULL", fn);
		return -EINVAL;
	}
	if (h->cfg.printk && h->trace_fd < 0) {
		pr_warn("%s: printk mode reads trace_pipe, opened by ebpfnet_hello_attach(): attach first",
			fn);
		return -EINVAL;
	}
	return 0;
}

/* One batch: poll (timeout_ms >= 0 or -1) or consume (timeout_ms = -2). */
static int run_batch(struct ebpfnet_hello *h, int timeout_ms)
{
	int err;

	ebpfnet__batch_begin(&h->batch);
	if (h->cfg.printk)
		err = poll_trace_pipe(h, timeout_ms < -1 ? 0 : timeout_ms);
	else
		err = ebpfnet__ringbuf_read(h->rb, timeout_ms);
	return ebpfnet__batch_end(&h->batch, err, "hello");
}

int ebpfnet_hello_poll(struct ebpfnet_hello *hello, int timeout_ms)
{
	int err = check_handle(hello, "ebpfnet_hello_poll");

	if (err)
		return ebpfnet__err(err);
	if (timeout_ms < -1) {
		pr_warn("ebpfnet_hello_poll: timeout_ms %d is negative (-1 waits forever)",
			timeout_ms);
		return ebpfnet__err(-EINVAL);
	}
	return run_batch(hello, timeout_ms);
}

int ebpfnet_hello_consume(struct ebpfnet_hello *hello)
{
	int err = check_handle(hello, "ebpfnet_hello_consume");

	if (err)
		return ebpfnet__err(err);
	return run_batch(hello, -2);
}

int ebpfnet_hello_fd(const struct ebpfnet_hello *hello)
{
	int err = check_handle(hello, "ebpfnet_hello_fd");

	if (err)
		return ebpfnet__err(err);
	if (hello->cfg.printk)
		return hello->trace_fd;
	return ring_buffer__epoll_fd(hello->rb);
}

enum ebpfnet_hello_hook ebpfnet_hello_hook(const struct ebpfnet_hello *hello)
{
	if (!hello) {
		pr_warn("ebpfnet_hello_hook: hello is NULL");
		errno = EINVAL;
		return EBPFNET_HELLO_HOOK_AUTO;
	}
	return hello->hook;
}

/* ---- stats ------------------------------------------------------------- */

static int sum_lost(const struct ebpfnet_hello *h, uint32_t counter,
		    uint64_t *sum)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t *values;

	if (ncpus <= 0)
		return ncpus < 0 ? ncpus : -EINVAL;
	values = calloc((size_t)ncpus, sizeof(*values));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(h->skel->maps.hello_lost), &counter,
				values)) {
		int err = -errno;

		free(values);
		pr_warn("hello: cannot read the lost counters: %s",
			ebpfnet_strerror(err));
		return err;
	}
	*sum = 0;
	for (int i = 0; i < ncpus; i++)
		*sum += values[i];
	free(values);
	return 0;
}

int ebpfnet_hello_stats(const struct ebpfnet_hello *hello,
			struct ebpfnet_hello_stats *stats)
{
	struct ebpfnet_hello_stats s = { .sz = sizeof(s) };
	int err;

	if (!hello) {
		pr_warn("ebpfnet_hello_stats: hello is NULL");
		return ebpfnet__err(-EINVAL);
	}
	if (!stats || stats->sz < sizeof(size_t))
		/* out_copy names the problem */
		return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
						      "ebpfnet_hello_stats"));
	s.events = hello->events;
	err = sum_lost(hello, HELLO_LOST_RINGBUF, &s.lost_ringbuf);
	if (!err)
		err = sum_lost(hello, HELLO_LOST_PENDING, &s.lost_pending);
	if (err)
		return ebpfnet__err(err);
	s.lost = s.lost_ringbuf + s.lost_pending;
	return ebpfnet__err(ebpfnet__out_copy(stats, &s, sizeof(s),
					      "ebpfnet_hello_stats"));
}

/* ---- destroy ----------------------------------------------------------- */

void ebpfnet_hello_destroy(struct ebpfnet_hello *hello)
{
	if (!hello)
		return;
	ring_buffer__free(hello->rb);
	hello_bpf__destroy(hello->skel); /* links, programs and maps */
	if (hello->trace_fd >= 0)
		close(hello->trace_fd);
	if (hello->cgroup_fd >= 0)
		close(hello->cgroup_fd);
	free(hello);
}
