// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diag.c - messages and allocation helpers.
 */
#define _GNU_SOURCE	/* mremap(), CPU affinity */
#include "diag.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *diag_progname = "klp-convert-mini";

static void diag_vreport(struct diag *d, enum diag_level level,
			 const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * One message, one line: a name with a newline or another control
 * character in it (a symbol is any byte string) is shown as \xNN.
 */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

/* "PROG: LABELFILE: MESSAGE", escaped, on one line. */
static void diag_vprint(FILE *out, const char *label, const char *file,
			const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void diag_vprint(FILE *out, const char *label, const char *file,
			const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		INTERNAL_ERROR("out of memory");
	fprintf(out, "%s: %s", diag_progname, label);
	put_escaped(out, file);
	fputs(": ", out);
	put_escaped(out, msg);
	fputc('\n', out);
	free(msg);
}

static void diag_print(FILE *out, const char *label, const char *file,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void diag_print(FILE *out, const char *label, const char *file,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vprint(out, label, file, fmt, ap);
	va_end(ap);
}

/* Hold an error back in D's capture. */
static void diag_hold(struct diag *d, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void diag_hold(struct diag *d, const char *fmt, va_list ap)
{
	struct diag_capture *c = d->capture;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		INTERNAL_ERROR("out of memory");
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->hash = xrealloc(c->hash, c->cap * sizeof(*c->hash));
	}
	c->hash[c->n] = hash_bytes(msg, strlen(msg));
	if (c->n < DIAG_MAX_ERRORS)
		c->text[c->n] = msg;
	else
		free(msg);
	c->n++;
	d->errors++;
}

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
		if (d->capture) {
			diag_hold(d, fmt, ap);
			return;
		}
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
	default:
		INTERNAL_ERROR("unknown message level");
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
	diag_vprint(level == DIAG_NOTE ? stdout : stderr, label[level],
		    d->file, fmt, ap);
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

/* FNV-1a, 64 bits. */
uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

void diag_capture_release(struct diag *d, struct diag_capture *c)
{
	size_t i;

	d->errors -= c->n;	/* held, they were counted */
	for (i = 0; i < c->n && i < DIAG_MAX_ERRORS; i++) {
		diag_error(d, "%s", c->text[i]);
		free(c->text[i]);
	}
	/* The rest are counted, as if reported past the cap. */
	d->errors += c->n - i;
	free(c->hash);
	memset(c, 0, sizeof(*c));
}

void diag_finish(struct diag *d)
{
	if (d->errors > DIAG_MAX_ERRORS && !d->json && !d->more_said)
		diag_print(stderr, "error: ", d->file, "%zu more errors not shown",
			   d->errors - DIAG_MAX_ERRORS);
	d->more_said = true;
}

void diag_conclude(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	diag_finish(d);
	va_start(ap, fmt);
	diag_vprint(stderr, "error: ", d->file, fmt, ap);
	va_end(ap);
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

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		INTERNAL_ERROR("out of memory");
	return p;
}

/* ------------------------------------------------------------------ */
/* Big arrays                                                         */
/* ------------------------------------------------------------------ */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

#define BIG_PAGE	(2u << 20)	/* a transparent huge page on x86_64 */
#define PREFAULT_SPLIT	(4u << 20)	/* populated by two threads from here */

#if defined(__SANITIZE_ADDRESS__)
#define BIG_MAPPED	0	/* keep ASan's redzones around every array */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BIG_MAPPED	0
#endif
#endif
#ifndef BIG_MAPPED
#define BIG_MAPPED	1
#endif

/* Whether an array of SIZE bytes is mapped: decided by size alone, so
 * that xbig_free() needs nothing else.  */
static bool big_is_mapped(size_t size)
{
	return BIG_MAPPED && size >= BIG_PAGE;
}

static size_t big_len(size_t size)
{
	return (size + BIG_PAGE - 1) & ~(size_t)(BIG_PAGE - 1);
}

/*
 * LEN bytes (a multiple of BIG_PAGE) starting on a huge page boundary.
 * No MADV_HUGEPAGE: on the virtual machines this was measured on (free
 * page reporting to the host), a huge page first touched right after a
 * big process exits costs 2 to 3.7 ms per MiB instead of 0.13, against
 * a steady 0.5 to 0.8 for small pages; the huge bench module converted
 * in 255 ms with small pages and 290 to 400 ms with huge ones.  The
 * system's policy decides.
 */
static void *big_map(size_t len)
{
	char *p = mmap(NULL, len + BIG_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		INTERNAL_ERROR("out of memory");
	head = (BIG_PAGE - (uintptr_t)p % BIG_PAGE) % BIG_PAGE;
	if (head)
		munmap(p, head);
	munmap(p + head + len, BIG_PAGE - head);
	return p + head;
}

/* Fault in LEN bytes at P for writing.  A hint: kernels before 5.14
 * say EINVAL.  */
static void populate(char *p, size_t len)
{
	(void)madvise(p, len, MADV_POPULATE_WRITE);
}

struct populate_job {
	char *p;
	size_t len;
};

static void *populate_thread(void *arg)
{
	const struct populate_job *j = arg;

	populate(j->p, j->len);
	return NULL;
}

/*
 * Fault in bytes FROM to TO of mapped array P in one call: callers are
 * about to fill them, and a page at a time through the fault handler
 * costs more (huge, right after objcopy: 265 -> 233 ms; back to back:
 * 268 -> 254).  From 4 MiB on, and when another CPU may take it, a
 * helper thread faults in the second half, split on the huge page
 * boundary nearest the middle (so each half holds at least 1 MiB):
 * fresh pages cost the huge bench module's main thread 27 to 36 ms in
 * nine such calls, 22 to 24 ms split.
 */
static void big_prefault(char *p, size_t from, size_t to)
{
	from &= ~(size_t)4095;
	if (to <= from)
		return;
	if (to - from >= PREFAULT_SPLIT) {
		uintptr_t half = (uintptr_t)p + from + (to - from) / 2;
		size_t mid = (size_t)(((half + BIG_PAGE / 2) &
				       ~(uintptr_t)(BIG_PAGE - 1)) -
				      (uintptr_t)p);
		struct populate_job job = { .p = p + mid, .len = to - mid };
		struct xthread helper;

		if (xthread_start_elsewhere(&helper, populate_thread, &job)) {
			populate(p + from, mid - from);
			xthread_join(&helper);
			return;
		}
	}
	populate(p + from, to - from);
}

void *xbig_realloc(void *p, size_t size_old, size_t size_new)
{
	bool was = p && big_is_mapped(size_old), is = big_is_mapped(size_new);
	void *q;

	if (!p)
		size_old = 0;
	if (!was && !is)
		return xrealloc(p, size_new);
	if (was && is) {
		if (big_len(size_old) == big_len(size_new))
			return p;
		q = mremap(p, big_len(size_old), big_len(size_new),
			   MREMAP_MAYMOVE);
		if (q == MAP_FAILED)
			INTERNAL_ERROR("out of memory");
		big_prefault(q, size_old, size_new);
		return q;
	}
	/* Across the threshold: a new array of the other kind. */
	q = is ? big_map(big_len(size_new)) : xmalloc(size_new);
	if (is)
		big_prefault(q, 0, size_new);
	if (p)
		memcpy(q, p, size_old < size_new ? size_old : size_new);
	xbig_free(p, size_old);
	return q;
}

void xbig_free(void *p, size_t size)
{
	if (p && big_is_mapped(size))
		munmap(p, big_len(size));
	else
		free(p);
}

/* ------------------------------------------------------------------ */
/* Helper threads                                                     */
/* ------------------------------------------------------------------ */

static void *xthread_run(void *arg)
{
	struct xthread *t = arg;

	/* Only a hint where to start: failing to widen it again leaves
	 * the thread on the other CPUs, which is still correct.  */
	if (t->spread)
		(void)sched_setaffinity(0, sizeof(t->allowed), &t->allowed);
	return t->fn(t->arg);
}

/* ELSEWHERE: no thread at all unless it can start on another CPU. */
static bool thread_start(struct xthread *t, void *(*fn)(void *arg), void *arg,
			 bool elsewhere)
{
	pthread_attr_t attr;
	cpu_set_t others;
	int cpu = sched_getcpu();
	bool started = false;

	t->fn = fn;
	t->arg = arg;
	t->spread = false;
	if (pthread_attr_init(&attr) != 0)
		return false;
	if (cpu >= 0 && cpu < CPU_SETSIZE &&
	    sched_getaffinity(0, sizeof(t->allowed), &t->allowed) == 0) {
		others = t->allowed;
		CPU_CLR(cpu, &others);
		t->spread = CPU_COUNT(&others) > 0 &&
			    pthread_attr_setaffinity_np(&attr, sizeof(others),
							&others) == 0;
	}
	if (t->spread || !elsewhere)
		started = pthread_create(&t->id, &attr, xthread_run, t) == 0;
	if (!started && t->spread && !elsewhere) {
		/* The hint itself may be refused (a cpuset changed). */
		t->spread = false;
		started = pthread_create(&t->id, NULL, xthread_run, t) == 0;
	}
	pthread_attr_destroy(&attr);
	return started;
}

bool xthread_start(struct xthread *t, void *(*fn)(void *arg), void *arg)
{
	return thread_start(t, fn, arg, false);
}

bool xthread_start_elsewhere(struct xthread *t, void *(*fn)(void *arg),
			     void *arg)
{
	return thread_start(t, fn, arg, true);
}

void xthread_join(struct xthread *t)
{
	if (pthread_join(t->id, NULL) != 0)
		INTERNAL_ERROR("cannot wait for a helper thread");
}
