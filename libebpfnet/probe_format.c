/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* struct ebpfnet_features as a two-column table or one JSON object. */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

/* Width of the name column of the table. */
#define NAME_COLUMN 20

enum field_kind {
	FIELD_STRING, /* a char array */
	FIELD_BOOL,
	FIELD_MOUNT,  /* a bool and, at path_off, the mount point */
};

struct feature_field {
	const char *name;
	enum field_kind kind;
	size_t off;
	size_t end;      /* offsetofend(): the field exists when sz reaches it */
	size_t size;
	size_t path_off; /* FIELD_MOUNT */
	const char *path_name;
};

#define F_(field, kind_)                                                      \
	.name = #field, .kind = kind_,                                        \
	.off = offsetof(struct ebpfnet_features, field),                      \
	.size = sizeof(((struct ebpfnet_features *)0)->field)
#define STRING_FIELD(field)                                                   \
	{ F_(field, FIELD_STRING),                                            \
	  .end = offsetofend(struct ebpfnet_features, field) }
#define BOOL_FIELD(field)                                                     \
	{ F_(field, FIELD_BOOL),                                              \
	  .end = offsetofend(struct ebpfnet_features, field) }
#define MOUNT_FIELD(field)                                                    \
	{ F_(field, FIELD_MOUNT),                                             \
	  .end = offsetofend(struct ebpfnet_features, field##_path),          \
	  .path_off = offsetof(struct ebpfnet_features, field##_path),        \
	  .path_name = #field "_path" }

/* In struct order; a new field of struct ebpfnet_features goes here too. */
static const struct feature_field fields[] = {
	STRING_FIELD(kernel_release),
	BOOL_FIELD(bpf_syscall),
	BOOL_FIELD(btf),
	BOOL_FIELD(ringbuf),
	BOOL_FIELD(kprobe),
	BOOL_FIELD(fentry),
	BOOL_FIELD(tracepoint),
	BOOL_FIELD(raw_tracepoint),
	BOOL_FIELD(xdp),
	BOOL_FIELD(tc),
	BOOL_FIELD(cgroup_sock_addr),
	MOUNT_FIELD(cgroup2),
	MOUNT_FIELD(bpffs),
	MOUNT_FIELD(tracefs),
	BOOL_FIELD(cap_bpf),
	BOOL_FIELD(cap_perfmon),
	BOOL_FIELD(cap_net_admin),
	BOOL_FIELD(cap_sys_admin),
};

struct field_value {
	bool flag;
	const char *str; /* FIELD_STRING: the text; FIELD_MOUNT: the path */
	size_t str_len;  /* the array may lack its NUL: bounded by its size */
};

static struct field_value read_field(const struct ebpfnet_features *f,
				     const struct feature_field *field)
{
	const char *base = (const char *)f;
	struct field_value v = { 0 };

	switch (field->kind) {
	case FIELD_STRING:
		v.str = base + field->off;
		v.str_len = strnlen(v.str, field->size);
		break;
	case FIELD_BOOL:
		memcpy(&v.flag, base + field->off, sizeof(v.flag));
		break;
	case FIELD_MOUNT:
		memcpy(&v.flag, base + field->off, sizeof(v.flag));
		v.str = base + field->path_off;
		v.str_len = strnlen(v.str, EBPFNET_PATH_MAX);
		break;
	}
	return v;
}

static void format_text_row(struct ebpfnet_sbuf *sb,
			    const struct feature_field *field,
			    struct field_value v)
{
	ebpfnet__sbuf_printf(sb, "%-*s", NAME_COLUMN, field->name);
	switch (field->kind) {
	case FIELD_STRING:
		ebpfnet__sbuf_text_str(sb, v.str, v.str_len);
		break;
	case FIELD_BOOL:
		ebpfnet__sbuf_printf(sb, "%s", v.flag ? "yes" : "no");
		break;
	case FIELD_MOUNT:
		ebpfnet__sbuf_printf(sb, "%s", v.flag ? "yes" : "no");
		if (v.flag && v.str_len) {
			ebpfnet__sbuf_printf(sb, " (");
			ebpfnet__sbuf_text_str(sb, v.str, v.str_len);
			ebpfnet__sbuf_putc(sb, ')');
		}
		break;
	}
}

static void format_json_member(struct ebpfnet_sbuf *sb,
			       const struct feature_field *field,
			       struct field_value v)
{
	ebpfnet__sbuf_printf(sb, "\"%s\":", field->name);
	switch (field->kind) {
	case FIELD_STRING:
		ebpfnet__sbuf_json_str(sb, v.str, v.str_len);
		break;
	case FIELD_BOOL:
		ebpfnet__sbuf_printf(sb, "%s", v.flag ? "true" : "false");
		break;
	case FIELD_MOUNT:
		ebpfnet__sbuf_printf(sb, "%s,\"%s\":", v.flag ? "true" : "false",
				     field->path_name);
		if (v.flag && v.str_len)
			ebpfnet__sbuf_json_str(sb, v.str, v.str_len);
		else
			ebpfnet__sbuf_printf(sb, "null");
		break;
	}
}

int ebpfnet_features_format(const struct ebpfnet_features *features,
			    enum ebpfnet_format format, char *buf, size_t len)
{
	struct ebpfnet_sbuf sb;
	bool first = true;
	size_t i;

	if (!features) {
		pr_warn("features format: NULL struct ebpfnet_features");
		return ebpfnet__err(-EINVAL);
	}
	if (features->sz < sizeof(size_t)) {
		pr_warn("struct ebpfnet_features: sz %zu is smaller than its sz field",
			features->sz);
		return ebpfnet__err(-EINVAL);
	}
	if (format != EBPFNET_FORMAT_TEXT && format != EBPFNET_FORMAT_JSON) {
		pr_warn("features format: unknown format %d", (int)format);
		return ebpfnet__err(-EINVAL);
	}
	if (!buf && len) {
		pr_warn("features format: NULL buffer of %zu bytes", len);
		return ebpfnet__err(-EINVAL);
	}

	ebpfnet__sbuf_init(&sb, buf, len);
	if (format == EBPFNET_FORMAT_JSON)
		ebpfnet__sbuf_putc(&sb, '{');
	for (i = 0; i < EBPFNET_ARRAY_SIZE(fields); i++) {
		struct field_value v;

		/* An older caller's struct ends early: show what it has. */
		if (fields[i].end > features->sz)
			continue;
		v = read_field(features, &fields[i]);
		if (!first)
			ebpfnet__sbuf_putc(&sb, format == EBPFNET_FORMAT_JSON ?
						',' : '\n');
		first = false;
		if (format == EBPFNET_FORMAT_JSON)
			format_json_member(&sb, &fields[i], v);
		else
			format_text_row(&sb, &fields[i], v);
	}
	if (format == EBPFNET_FORMAT_JSON)
		ebpfnet__sbuf_putc(&sb, '}');
	if (sb.need > INT_MAX)
		return ebpfnet__err(-EOVERFLOW);
	return (int)sb.need;
}
