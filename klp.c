// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp.c - prefixed-name grammar, .modinfo and Module.symvers.
 */
#define _GNU_SOURCE
#include "klp.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

const char *klp_objname_problem(const char *obj, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > KLP_OBJNAME_MAX)
		return "is longer than 55 characters (the kernel's MODULE_NAME_LEN - 1)";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)obj[i];

		/* [_0-9a-zA-Z]: c | 0x20 folds only letters onto a-z */
		if (c == '_' || (unsigned char)(c - '0') < 10 ||
		    (unsigned char)((c | 0x20) - 'a') < 26)
			continue;
		if (c == '-')
			return "contains '-': kbuild spells module names with '_'";
		return "contains a character no module name has: use vmlinux or a module name as the kernel knows it";
	}
	return NULL;
}

static int check_objname(struct klp_span obj, const char *role, char *why,
			 size_t whylen)
{
	const char *problem = klp_objname_problem(obj.s, obj.len);

	if (!problem)
		return 0;
	if (obj.len == 0)
		snprintf(why, whylen, "%s object name is empty", role);
	else
		snprintf(why, whylen, "%s object name '%.*s' %s", role,
			 (int)obj.len, obj.s, problem);
	return -1;
}

/* Split off the text up to the next '.', or fail. */
static bool take_field(const char **p, struct klp_span *out)
{
	const char *q = *p;

	while (*q && *q != '.')
		q++;
	if (!*q)
		return false;
	out->s = *p;
	out->len = (size_t)(q - *p);
	*p = q + 1;
	return true;
}

/*
 * Parsed by hand, in one pass over what follows the object names: this
 * runs for every klp symbol of every conversion, and the string functions
 * it replaced (strrchr() twice, memchr(), strspn(), strtoul(), each
 * called for a few dozen bytes) cost twice what it does.
 */
enum klp_name_result klp_parse_name(const char *name, struct klp_name *out,
				    char *new_name, char *why, size_t whylen)
{
	const char *p = name + sizeof(KLP_SYM_RELA_PREFIX) - 1;
	const char *first_comma = NULL, *comma = NULL, *dot = NULL, *end;
	const char *sep, *pos, *d;
	char *q, digits[24];
	size_t len, ndigits;
	unsigned long v;

	memset(out, 0, sizeof(*out));
	if (!klp_is_prefixed(name) || !take_field(&p, &out->lp_obj) ||
	    !take_field(&p, &out->sym_obj)) {
		snprintf(why, whylen,
			 "cannot parse the name: expected .klp.sym.rela.<lp_obj>.<sym_obj>.<sym>.<pos>");
		return KLP_NAME_BAD;
	}
	/* The position follows the last ',' (v1/v2) or else the last '.'
	 * (v3), so that symbol names may contain dots.  */
	for (end = p; *end; end++) {
		if (*end == ',') {
			if (!first_comma)
				first_comma = end;
			comma = end;
		} else if (*end == '.') {
			dot = end;
		}
	}
	sep = comma ? comma : dot;
	if (!sep) {
		snprintf(why, whylen,
			 "cannot parse the name: no '.<pos>' after the symbol name");
		return KLP_NAME_BAD;
	}
	out->sym.s = p;
	out->sym.len = (size_t)(sep - p);
	pos = sep + 1;

	/* The same name twice (a module's own symbol): one verdict. */
	if (check_objname(out->lp_obj, "relocation", why, whylen) ||
	    (!klp_span_eq(out->sym_obj, out->lp_obj) &&
	     check_objname(out->sym_obj, "symbol", why, whylen)))
		return KLP_NAME_BAD_OBJECT;
	if (out->sym.len == 0) {
		snprintf(why, whylen, "symbol name is empty");
		return KLP_NAME_BAD;
	}
	if (first_comma && first_comma < sep) {
		snprintf(why, whylen,
			 "symbol name '%.*s' contains ',', which the kernel's format cannot carry",
			 (int)out->sym.len, out->sym.s);
		return KLP_NAME_BAD;
	}
	/* Decimal digits only; then the value, as strtoul() reads it,
	 * but ERANGE past ULONG_MAX.  */
	for (d = pos; d < end && *d >= '0' && *d <= '9'; d++)
		;
	if (d == pos || d != end) {
		snprintf(why, whylen,
			 "position '%s' is not a decimal number", pos);
		return KLP_NAME_BAD;
	}
	v = 0;
	for (d = pos; d < end; d++) {
		unsigned long digit = (unsigned long)(*d - '0');

		if (v > ULONG_MAX / 10 ||
		    (v == ULONG_MAX / 10 && digit > ULONG_MAX % 10)) {
			snprintf(why, whylen, "position '%s' is not a decimal number that fits in unsigned long",
				 pos);
			return KLP_NAME_BAD;
		}
		v = v * 10 + digit;
	}
	out->sympos = v;

	/* symbol format: .klp.sym.<sym_obj_name>.<sym_name>,<sympos>
	 * (by hand: snprintf's %.*s costs more than the rest together) */
	ndigits = 0;
	for (unsigned long w = out->sympos; w || !ndigits; w /= 10)
		digits[ndigits++] = (char)('0' + w % 10);
	len = sizeof(KLP_SYM_PREFIX) - 1 + out->sym_obj.len + 1 +
	      out->sym.len + 1 + ndigits;
	if (len > KLP_SYMNAME_MAX) {
		snprintf(why, whylen,
			 "converted name is %zu bytes, longer than %d (the kernel's KSYM_NAME_LEN - 1)",
			 len, KLP_SYMNAME_MAX);
		return KLP_NAME_TOO_LONG;
	}
	q = new_name;
	memcpy(q, KLP_SYM_PREFIX, sizeof(KLP_SYM_PREFIX) - 1);
	q += sizeof(KLP_SYM_PREFIX) - 1;
	memcpy(q, out->sym_obj.s, out->sym_obj.len);
	q += out->sym_obj.len;
	*q++ = '.';
	memcpy(q, out->sym.s, out->sym.len);
	q += out->sym.len;
	*q++ = ',';
	while (ndigits)
		*q++ = digits[--ndigits];
	*q = '\0';
	out->new_len = len;
	return KLP_NAME_OK;
}

enum klp_livepatch_tag klp_modinfo_livepatch(const char *modinfo, size_t size)
{
	static const char tag[] = "livepatch=";
	enum klp_livepatch_tag found = KLP_TAG_NONE;
	size_t i = 0;

	while (i < size) {
		const char *s = modinfo + i;
		const char *nul = memchr(s, '\0', size - i);
		size_t len = nul ? (size_t)(nul - s) : size - i;

		if (len >= sizeof(tag) - 1 &&
		    memcmp(s, tag, sizeof(tag) - 1) == 0) {
			if (len == sizeof(tag) && s[len - 1] == 'Y')
				return KLP_TAG_Y;
			found = KLP_TAG_OTHER;
		}
		i += len + 1;
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* Module.symvers: "0xCRC\tsymbol\tmodule\tEXPORT_SYMBOL[_GPL]\tnamespace" */
/* ------------------------------------------------------------------ */

struct klp_symvers {
	char **slots;		/* open addressing, NULL = empty */
	size_t cap, count;
};

struct klp_symvers *klp_symvers_new(void)
{
	struct klp_symvers *sv = xcalloc(1, sizeof(*sv));

	sv->cap = 1024;
	sv->slots = xcalloc(sv->cap, sizeof(*sv->slots));
	return sv;
}

static void symvers_insert(struct klp_symvers *sv, char *name)
{
	size_t i;

	if (2 * (sv->count + 1) > sv->cap) {
		struct klp_symvers bigger = { .cap = sv->cap * 2 };

		bigger.slots = xcalloc(bigger.cap, sizeof(*bigger.slots));
		for (size_t k = 0; k < sv->cap; k++)
			if (sv->slots[k])
				symvers_insert(&bigger, sv->slots[k]);
		free(sv->slots);
		sv->slots = bigger.slots;
		sv->cap = bigger.cap;
	}
	for (i = hash_bytes(name, strlen(name)) & (sv->cap - 1); sv->slots[i];
	     i = (i + 1) & (sv->cap - 1)) {
		if (strcmp(sv->slots[i], name) == 0) {
			free(name);
			return;
		}
	}
	sv->slots[i] = name;
	sv->count++;
}

bool klp_is_signed(const char *image, size_t size)
{
	static const char marker[] = "~Module signature appended~\n";
	size_t n = sizeof(marker) - 1;

	return size >= n && memcmp(image + size - n, marker, n) == 0;
}

/* "0x" and hex digits, a tab: the start of every Module.symvers line. */
static bool symvers_line(const char *line)
{
	size_t n;

	if (line[0] != '0' || line[1] != 'x')
		return false;
	n = strspn(line + 2, "0123456789abcdefABCDEF");
	return n > 0 && line[2 + n] == '\t';
}

int klp_symvers_load(struct klp_symvers *sv, const char *path, size_t *bad_line)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int ret = 0;

	*bad_line = 0;
	if (!f)
		return -1;
	errno = 0;
	while (getline(&line, &cap, f) > 0) {
		char *name, *end;

		lineno++;
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;	/* blank */
		if (!symvers_line(line)) {
			*bad_line = lineno;
			ret = -1;
			break;
		}
		name = strchr(line, '\t') + 1;
		end = strpbrk(name, "\t\n");
		if (end)
			*end = '\0';
		if (*name)
			symvers_insert(sv, xstrdup(name));
	}
	free(line);
	if (!*bad_line && ferror(f)) {
		if (!errno)	/* a directory says EISDIR; keep it */
			errno = EIO;
		ret = -1;
	}
	fclose(f);
	return ret;
}

bool klp_symvers_has(const struct klp_symvers *sv, const char *name)
{
	for (size_t i = hash_bytes(name, strlen(name)) & (sv->cap - 1); sv->slots[i];
	     i = (i + 1) & (sv->cap - 1))
		if (strcmp(sv->slots[i], name) == 0)
			return true;
	return false;
}

void klp_symvers_free(struct klp_symvers *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->cap; i++)
		free(sv->slots[i]);
	free(sv->slots);
	free(sv);
}

/* Damerau-Levenshtein (optimal string alignment) distance of OBJ, folded
 * to lower case, from "vmlinux": at most 2 and not 0.  */
bool klp_objname_like_vmlinux(const char *obj, size_t len)
{
	static const char v[] = KLP_VMLINUX;
	enum { V = sizeof(v) - 1 };
	unsigned int d[KLP_OBJNAME_MAX + 1][V + 1];
	char a[KLP_OBJNAME_MAX + 1];

	/* vmlinux itself, and names of another length: most calls */
	if (len > V + 2 || len + 2 < V || (len == V && memcmp(obj, v, V) == 0))
		return false;
	for (size_t i = 0; i < len; i++)
		a[i] = (char)(obj[i] >= 'A' && obj[i] <= 'Z' ? obj[i] - 'A' + 'a'
							     : obj[i]);
	for (size_t i = 0; i <= len; i++)
		d[i][0] = (unsigned int)i;
	for (size_t j = 0; j <= V; j++)
		d[0][j] = (unsigned int)j;
	for (size_t i = 1; i <= len; i++) {
		for (size_t j = 1; j <= V; j++) {
			unsigned int best = d[i - 1][j - 1] + (a[i - 1] != v[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == v[j - 2] &&
			    a[i - 2] == v[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[len][V] <= 2;
}
