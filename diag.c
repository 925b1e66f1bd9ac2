// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diag.c - messages and allocation helpers.
 */
#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *diag_progname = "klp-convert-mini";

void diag_vreport(struct diag *d, enum diag_level level, const char *fmt,
		  va_list ap)
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

void diag_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
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
