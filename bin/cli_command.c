/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* Command lines of a command and its operands (see cli_command.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"
#include "cli_command.h"

static const struct cli_command *find_command(const struct cli_grammar *g,
					      const char *group,
					      const char *name)
{
	size_t i;

	for (i = 0; i < g->ncommands; i++) {
		const struct cli_command *c = &g->commands[i];

		if ((c->group == NULL) != (group == NULL))
			continue;
		if (group && strcmp(c->group, group) != 0)
			continue;
		if (strcmp(c->name, name) == 0)
			return c;
	}
	return NULL;
}

/* The group whose first word is `word`, or NULL. */
static const struct cli_command_group *find_group(const struct cli_grammar *g,
						  const char *word)
{
	size_t i;

	for (i = 0; i < g->ngroups; i++)
		if (strcmp(g->groups[i].word, word) == 0)
			return &g->groups[i];
	return NULL;
}

/* The flag of a command option; 0 for the global ones. */
static unsigned int option_flag(const struct cli_grammar *g, int c)
{
	size_t i;

	for (i = 0; i < g->ncommand_options; i++)
		if (g->command_options[i].val == c)
			return g->command_options[i].flag;
	return 0;
}

/* The command's name as the user wrote it ("endpoint add"). */
static void command_name(const struct cli_command *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", cmd->group ? cmd->group : "",
		 cmd->group ? " " : "", cmd->name);
}

/* A command word (first or second), or an operand once the command is
 * known. */
static int take_word(struct cli_parser *p, const char *word, const char **ops,
		     int *nops, char *err, size_t errlen)
{
	const struct cli_grammar *g = p->grammar;
	const struct cli_command_group *group;

	if (p->cmd) {
		ops[(*nops)++] = word;
		return 0;
	}
	if (p->group) {
		p->cmd = find_command(g, p->group, word);
		if (!p->cmd)
			return cli_usage_msg(err, errlen, "unknown command '%s %s': expected %s after '%s'",
					     p->group, word,
					     find_group(g, p->group)->subwords,
					     p->group);
		return 0;
	}
	group = find_group(g, word);
	if (group) {
		p->group = group->word;
		return 0;
	}
	p->cmd = find_command(g, NULL, word);
	if (!p->cmd)
		return cli_usage_msg(err, errlen, "unknown command '%s'", word);
	return 0;
}

static int check_operands(const struct cli_command *cmd, const char **ops,
			  int nops, char *err, size_t errlen)
{
	char name[32];

	command_name(cmd, name, sizeof(name));
	if (nops < cmd->min_ops)
		return cli_usage_msg(err, errlen, "'%s' needs %s", name,
				     cmd->synopsis);
	if (cmd->max_ops >= 0 && nops > cmd->max_ops)
		return cli_usage_msg(err, errlen, "unexpected argument '%s' after '%s%s%s'",
				     ops[cmd->max_ops], name,
				     cmd->max_ops ? " " : "",
				     cmd->max_ops ? cmd->synopsis : "");
	return 0;
}

/* An option: checked against the command when it is a command's own. */
static int take_option(struct cli_parser *p, int c, const char *arg,
		       char *err, size_t errlen)
{
	const struct option *long_options = p->grammar->long_options;
	unsigned int flag = option_flag(p->grammar, c);
	char name[32];

	if (flag && !p->cmd)
		return cli_usage_msg(err, errlen, "option '--%s' must follow its command",
				     cli_option_name(long_options, c));
	if (flag && !(p->cmd->options & flag)) {
		command_name(p->cmd, name, sizeof(name));
		return cli_usage_msg(err, errlen, "'%s' takes no option '--%s'",
				     name, cli_option_name(long_options, c));
	}
	if (c == CLI_OPT_HELP) {
		p->help = true;
		return 0;
	}
	return p->apply_option(p->out, c, arg, err, errlen);
}

/* '-': operands come back in order as option 1 (whatever POSIXLY_CORRECT
 * says), so options may follow the command; ':': we word the errors. */
static const char short_options[] = "-:vh";

int cli_command_parse(struct cli_parser *p, int argc, char **argv,
		      const char ***ops, int *nops, char *err, size_t errlen)
{
	const struct cli_grammar *g = p->grammar;
	int c;

	*nops = 0;
	/* at most every element an operand; +1: calloc(0) may be NULL */
	*ops = calloc((size_t)argc + 1, sizeof(**ops));
	if (!*ops)
		return cli_usage_msg(err, errlen, "out of memory");
	cli_getopt_restart();
	while ((c = cli_getopt_next(argc, argv, short_options,
				    g->long_options, err, errlen)) != -1) {
		if (c == CLI_GETOPT_ERROR)
			return -1;
		if (c == 1 ? take_word(p, optarg, *ops, nops, err, errlen) :
			     take_option(p, c, optarg, err, errlen))
			return -1;
	}
	/* after "--": the rest are operands (the command's words first) */
	for (; optind < argc; optind++)
		if (take_word(p, argv[optind], *ops, nops, err, errlen))
			return -1;
	if (p->help)
		return 1;
	if (p->group && !p->cmd)
		return cli_usage_msg(err, errlen, "'%s' needs %s", p->group,
				     find_group(g, p->group)->subwords);
	if (!p->cmd)
		return cli_usage_msg(err, errlen, "no command given");
	return check_operands(p->cmd, *ops, *nops, err, errlen);
}
