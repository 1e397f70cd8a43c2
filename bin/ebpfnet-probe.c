/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * ebpfnet-probe: show what the running kernel and this process offer to
 * libebpfnet, as a table or as one line of JSON. Public API only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ebpfnet/ebpfnet.h>

#include "cli_msgs.h"

#define PROG "ebpfnet-probe"

const char cli_program[] = PROG;

static bool verbose;

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [-v] [--json]\n"
		"Show the eBPF features of the running kernel and process.\n"
		"\n"
		"  -j, --json     one JSON object on one line\n"
		"  -v, --verbose  print the library's (and libbpf's) messages\n"
		"  -h, --help     show this help\n");
}

/* Each message at once, warnings always: so the error line (cli_fail) never
 * carries the library's reason in parentheses here. */
static void print_message(enum ebpfnet_print_level level, const char *msg)
{
	static const char *const names[] = { "warn", "info", "debug" };

	if (level != EBPFNET_PRINT_WARN && !verbose)
		return;
	fprintf(stderr, PROG ": %s: %s\n",
		(unsigned)level < 3 ? names[level] : "debug", msg);
}

static int print_features(bool json)
{
	EBPFNET_OPTS(ebpfnet_features, features);
	enum ebpfnet_format format = json ? EBPFNET_FORMAT_JSON :
					    EBPFNET_FORMAT_TEXT;
	char *text;
	int err, need;

	err = ebpfnet_probe_features(&features);
	if (err)
		return cli_fail(err, "probing the kernel");
	need = ebpfnet_features_format(&features, format, NULL, 0);
	if (need < 0)
		return cli_fail(need, "formatting");
	text = malloc((size_t)need + 1);
	if (!text)
		return cli_fail(-ENOMEM, "formatting");
	err = ebpfnet_features_format(&features, format, text, (size_t)need + 1);
	if (err < 0) {
		free(text);
		return cli_fail(err, "formatting");
	}
	printf("%s\n", text);
	free(text);
	if (fflush(stdout))
		return cli_fail(-errno, "writing the output");
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c, arg = 1;

	opterr = 0; /* one error line of our own, not getopt's */
	/* "+": no permutation, so argv[arg] is the element being parsed. */
	while ((arg = optind,
		c = getopt_long(argc, argv, "+jvh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			/* A long option shows whole ("--json=1"); a short one
			 * may sit inside a cluster ("-vx"): name its letter. */
			if (!strncmp(argv[arg], "--", 2))
				cli_error("bad option '%s' (try --help)", argv[arg]);
			else
				cli_error("unknown option '-%c' (try --help)", optopt);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s' (try --help)", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	ebpfnet_set_print(print_message);
	if (verbose)
		ebpfnet_forward_libbpf(true);
	return print_features(json);
}
