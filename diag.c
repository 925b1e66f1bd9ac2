// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diag.c - messages and allocation helpers.
 */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *diag_progname = "klp-convert-mini";

static void diag_vreport(struct diag *d, enum diag_level level,
			 const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static void diag_vreport(struct diag *d, enum diag_level level,
			 const char *fmt, va_list ap)
{
	static const char *const label[] = {
		[DIAG_ERROR] = "error: ",
		[DIAG_WARNING] = "warning: ",
		[DIAG_NOTE] = "",
	};

	switch (level) {
	case DIAG_ERROR:
		if (d->errors++ >= DIAG_MAX_ERRORS)
			return;
		break;
	case DIAG_WARNING:
		d->warnings++;
		if (d->verbose < 0)
			return;
		break;
	case DIAG_NOTE:
		if (d->verbose <= 0)
			return;
		break;
	}

	if (d->json && level != DIAG_NOTE) {
		char msg[2048];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		diag_json_begin(d, level, "malformed");
		fputs(", \"location\": \"\", \"symbol\": \"\", \"message\": ", d->json);
		diag_json_string(d->json, msg);
		fputs(", \"kernel\": \"\"}", d->json);
		return;
	}

	/* Notes are -v output: stdout.  Problems go to stderr. */
	FILE *out = level == DIAG_NOTE ? stdout : stderr;

	fprintf(out, "%s: %s%s: ", diag_progname, label[level], d->file);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
}

void diag_report(struct diag *d, enum diag_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vreport(d, level, fmt, ap);
	va_end(ap);
}

/* Length of the valid UTF-8 sequence at S (first byte >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 :
		   s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void diag_json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p >= 0x20 && *p < 0x7f) {
			fputc(*p++, f);
		} else if (*p >= 0x80 && (n = utf8_len(p)) != 0) {
			fwrite(p, 1, n, f);	/* valid UTF-8 stays as it is */
			p += n;
		} else {
			/* Control characters, and bytes that are not UTF-8:
			 * as code points, which keeps the JSON valid and the
			 * name recognisable.  */
			fprintf(f, "\\u%04x", *p++);
		}
	}
	fputc('"', f);
}

void diag_json_begin(struct diag *d, enum diag_level level, const char *rule)
{
	fputs(d->json_findings++ ? ",\n    " : "\n    ", d->json);
	fprintf(d->json, "{\"severity\": \"%s\", \"rule\": \"%s\"",
		level == DIAG_ERROR ? "error" : "warning", rule);
}

void diag_finish(struct diag *d)
{
	if (d->errors > DIAG_MAX_ERRORS && !d->json)
		fprintf(stderr, "%s: error: %s: %zu more errors not shown\n",
			diag_progname, d->file, d->errors - DIAG_MAX_ERRORS);
}

void diag_fatal(const char *what, const char *srcfile, int line)
{
	fprintf(stderr, "%s: error: internal error: %s [%s:%d]\n",
		diag_progname, what, srcfile, line);
	exit(1);
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		INTERNAL_ERROR("out of memory");
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		INTERNAL_ERROR("out of memory");
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		INTERNAL_ERROR("out of memory");
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		INTERNAL_ERROR("out of memory");
	return p;
}
