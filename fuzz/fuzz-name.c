// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-name.c - libFuzzer target for klp_parse_name() alone, with a
 * property check against the kernel's own parser.
 *
 * The input bytes, cut at the first NUL, are a symbol name.  Whatever
 * klp_parse_name() accepts must come out as a name that
 * kernel/livepatch/core.c:klp_resolve_symbols() reads back:
 *
 *	sscanf(name, ".klp.sym.%55[^.].%511[^,],%lu", objname, symname, &pos)
 *
 * returns 3 having read the whole name, the three fields equal what klp_parse_name() reported, and the
 * name fits in KSYM_NAME_LEN (at most 511 bytes before the NUL).  Names it
 * refuses must come with a reason.  Anything else abort()s.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../klp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *name, const char *new_name, const char *what)
{
	fprintf(stderr, "fuzz-name: %s\n  input:    '%s'\n  new name: '%s'\n",
		what, name, new_name);
	abort();
}

static void check_span(const char *name, const char *new_name,
		       struct klp_span sp, const char *got, const char *what)
{
	if (strlen(got) != sp.len || memcmp(got, sp.s, sp.len) != 0)
		fail(name, new_name, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char new_name[KLP_SYMNAME_MAX + 1], why[256];
	/* The kernel's buffers: MODULE_NAME_LEN and KSYM_NAME_LEN. */
	char objname[56], symname[512];
	unsigned long pos;
	struct klp_name kn;
	char *name;
	int n, end = -1;

	name = malloc(size + 1);
	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';

	memset(new_name, 0, sizeof(new_name));
	why[0] = '\0';
	if (klp_parse_name(name, &kn, new_name, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			fail(name, new_name, "refused without a reason");
		free(name);
		return 0;
	}

	if (!klp_is_prefixed(name))
		fail(name, new_name, "accepted a name without the .klp.sym.rela. prefix");
	if (memchr(new_name, '\0', sizeof(new_name)) == NULL ||
	    strlen(new_name) > KLP_SYMNAME_MAX)
		fail(name, new_name, "new name longer than 511 bytes");
	if (kn.new_len != strlen(new_name))
		fail(name, new_name, "new_len is not the new name's length");
	n = sscanf(new_name, ".klp.sym.%55[^.].%511[^,],%lu%n", objname,
		   symname, &pos, &end);
	if (n != 3)
		fail(name, new_name, "the kernel's sscanf does not read all three fields");
	if ((size_t)end != strlen(new_name))
		fail(name, new_name, "the kernel's sscanf leaves part of the name unread");
	check_span(name, new_name, kn.sym_obj, objname,
		   "object name does not round-trip");
	check_span(name, new_name, kn.sym, symname,
		   "symbol name does not round-trip");
	if (pos != kn.sympos)
		fail(name, new_name, "position does not round-trip");
	/* The kernel also looks up .klp.rela.<lp_obj>.: same rule. */
	if (kn.lp_obj.len == 0 || kn.lp_obj.len > KLP_OBJNAME_MAX ||
	    memchr(kn.lp_obj.s, '.', kn.lp_obj.len))
		fail(name, new_name, "relocation object name the kernel cannot read");
	free(name);
	return 0;
}
