/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * diag.h - the one shape of every message klp-convert-mini prints.
 *
 *	klp-convert-mini: error: FILE: [IDX] SECTION+0xOFF (FUNC+0xOFF): symbol 'NAME': CAUSE
 *	klp-convert-mini: error: FILE: .symtab entry N: symbol 'NAME': CAUSE
 *	klp-convert-mini: error: FILE: [IDX] SECTION: CAUSE
 *	klp-convert-mini: error: FILE: CAUSE
 *
 * Callers pass the text after "FILE: "; the newline is added here.
 */
#ifndef KLP_DIAG_H
#define KLP_DIAG_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum diag_level {
	DIAG_ERROR,
	DIAG_WARNING,
	DIAG_NOTE,	/* -v output */
};

/* Errors printed after this many for one file are only counted. */
#define DIAG_MAX_ERRORS 100

/*
 * Errors held back instead of printed (warnings and notes still print):
 * the text of the first DIAG_MAX_ERRORS, and a hash of every one, so a
 * caller can tell which findings two checks share before reporting.
 */
struct diag_capture {
	char *text[DIAG_MAX_ERRORS];
	uint64_t *hash;		/* [n], in report order */
	size_t n, cap;
};

struct diag {
	const char *file;	/* the file the messages are about */
	int verbose;		/* -v count; -q makes it negative */
	size_t errors;		/* errors reported for this file */
	size_t warnings;
	FILE *json;		/* --format=json: findings go here instead */
	size_t json_findings;	/* objects written so far for this file */
	struct diag_capture *capture;	/* not NULL: errors are held here */
	bool more_said;		/* diag_finish() has spoken */
};

extern const char *diag_progname;

void diag_report(struct diag *d, enum diag_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write S as a JSON string literal. */
void diag_json_string(FILE *f, const char *s);

/* Start one JSON finding object (the caller adds fields and the '}'). */
void diag_json_begin(struct diag *d, enum diag_level level, const char *rule);

/* Print the errors C held (D's capture no longer C; the cap applies),
 * and free them.  */
void diag_capture_release(struct diag *d, struct diag_capture *c);

/* Print "N more errors not shown" when the cap was reached (once). */
void diag_finish(struct diag *d);

/* The last word on the errors reported: printed whatever the cap, after
 * diag_finish(), and not counted as one more.  */
void diag_conclude(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define diag_error(d, ...)	diag_report((d), DIAG_ERROR, __VA_ARGS__)
#define diag_warn(d, ...)	diag_report((d), DIAG_WARNING, __VA_ARGS__)
#define diag_note(d, ...)	diag_report((d), DIAG_NOTE, __VA_ARGS__)

/* Can't-happen conditions and allocation failure: one line, then exit 1. */
void diag_fatal(const char *what, const char *srcfile, int line)
	__attribute__((noreturn));
#define INTERNAL_ERROR(what) diag_fatal((what), __FILE__, __LINE__)

/* FNV-1a of LEN bytes at S: small hash tables, held messages. */
uint64_t hash_bytes(const char *s, size_t len);

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Arrays of megabytes (section records, new headers and names): from
 * SIZE_OLD to SIZE_NEW bytes, contents kept, what is added undefined
 * (as with realloc: callers fill it).
 * Large ones are anonymous mappings of their own, aligned to 2 MiB (so
 * a system whose transparent huge page policy is "always" can back them
 * with huge pages), grown and shrunk with mremap(), never copied; they
 * ask for no huge pages themselves (see diag.c).  Freed with
 * xbig_free() and the size last asked for.  xbig_realloc(NULL, 0, n)
 * allocates.
 */
void *xbig_realloc(void *p, size_t size_old, size_t size_new);
void xbig_free(void *p, size_t size);

/*
 * A helper thread, started on another CPU than the caller's when the
 * process may use one, then free to run anywhere it may.  On the 2-CPU
 * virtual machines this was measured on, a new thread mostly waited on
 * its busy creator's CPU for the next tick (1.8 to 4.3 ms) while the
 * other CPU idled; started elsewhere it ran after 0.12 to 0.3 ms.  The
 * tool's helpers have 1 to 50 ms of work.  Return false, with no thread,
 * if none can be started: the caller then does the work itself.
 */
struct xthread {
	pthread_t id;
	void *(*fn)(void *arg);
	void *arg;
	cpu_set_t allowed;	/* the process's mask, given back at start */
	bool spread;		/* allowed was read and has another CPU */
};

bool xthread_start(struct xthread *t, void *(*fn)(void *arg), void *arg);
/* The same, but false unless another CPU may take the thread: for work
 * worth splitting only when both halves run at once.  */
bool xthread_start_elsewhere(struct xthread *t, void *(*fn)(void *arg),
			     void *arg);
void xthread_join(struct xthread *t);

#endif /* KLP_DIAG_H */
