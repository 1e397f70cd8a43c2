/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/*
 * The command lines of the CLIs that take a command (ebpfnet-drop,
 * ebpfnet-flow, ebpfnet-policy): a command of one or two words, its
 * operands, global options anywhere, a command's own options only after
 * its words; the messages of a line that breaks these rules. The CLI
 * describes its grammar in tables and applies the options' values itself.
 * Pure like the rest of cli_args.h: no output, no exit.
 */
#ifndef EBPFNET_CLI_COMMAND_H
#define EBPFNET_CLI_COMMAND_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* The number of elements of array a. */
#define CLI_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A command of a CLI's table. */
struct cli_command {
	const char *group;     /* first word of a two-word command, or NULL */
	const char *name;      /* its (last) word */
	int id;                /* the CLI's enum value for it */
	unsigned int options;  /* the command options it takes (their flags) */
	int min_ops, max_ops;  /* operands; max -1: no limit */
	const char *synopsis;  /* of the operands, for the messages */
};

/* The first word of two-word commands and what may follow it. */
struct cli_command_group {
	const char *word;
	const char *subwords;  /* for the messages: "add, del or list" */
};

/* An option only some commands take: its getopt val and its flag. */
struct cli_command_option {
	int val;
	unsigned int flag;
};

/* A CLI's grammar. */
struct cli_grammar {
	const struct cli_command *commands;
	size_t ncommands;
	const struct cli_command_group *groups;  /* may be NULL */
	size_t ngroups;
	const struct cli_command_option *command_options;
	size_t ncommand_options;
	const struct option *long_options;       /* ended by a NULL name; the
						  * short ones: -v and -h */
};

/* A parse under way. */
struct cli_parser {
	const struct cli_grammar *grammar;
	/* Apply option c (not CLI_OPT_HELP) with its argument to out: 0, or
	 * -1 with the reason in err. */
	int (*apply_option)(void *out, int c, const char *arg, char *err,
			    size_t errlen);
	void *out;
	/* what the parse found */
	const char *group;             /* a group's word, waiting for its second */
	const struct cli_command *cmd; /* NULL until the command's words */
	bool help;                     /* -h, --help */
};

/*
 * Parse argv by p->grammar: options (command options checked against the
 * command, all applied with p->apply_option) and words in argv's order,
 * the command in p->cmd, its operands in *ops (allocated here whatever
 * the answer, argc + 1 slots; the caller frees it) and *nops. 0, 1 when
 * help was asked for, or -1 with a one-line reason in err. Uses
 * getopt_long and resets its state; argv is not reordered.
 */
int cli_command_parse(struct cli_parser *p, int argc, char **argv,
		      const char ***ops, int *nops, char *err, size_t errlen);

#endif /* EBPFNET_CLI_COMMAND_H */
