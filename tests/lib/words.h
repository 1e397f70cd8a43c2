/* SPDX-License-Identifier: (LGPL-2.1-or-later OR BSD-2-Clause) */
/* A line of words split at spaces into an argv, as a shell would for the
 * simple words tests write ("proto udp dst-port 53"). */
#ifndef EBPFNET_TEST_WORDS_H
#define EBPFNET_TEST_WORDS_H

#include <stdio.h>
#include <string.h>

#define WORDS_MAX 32

struct words {
	char buf[1024];
	char *argv[WORDS_MAX + 2];
	int argc;  /* argv[argc] is NULL */
};

/* argv: `first` (a program name; none when NULL), then the words of line
 * (at most WORDS_MAX). Valid until the next split into w. */
static inline void words_split(struct words *w, const char *first,
			       const char *line)
{
	char *save = NULL, *tok;

	snprintf(w->buf, sizeof(w->buf), "%s", line);
	w->argc = 0;
	if (first)
		w->argv[w->argc++] = (char *)first;
	for (tok = strtok_r(w->buf, " ", &save); tok && w->argc < WORDS_MAX;
	     tok = strtok_r(NULL, " ", &save))
		w->argv[w->argc++] = tok;
	w->argv[w->argc] = NULL;
}

/* The words for an API that takes const strings. */
static inline const char *const *words_const(const struct words *w)
{
	return (const char *const *)w->argv;
}

#endif /* EBPFNET_TEST_WORDS_H */
