// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp-convert-mini - convert klp_reloc.h annotations in a livepatch module
 * into the kernel's livepatch relocations.
 *
 * Pipeline, one function each:
 *	parse_args -> load_symvers -> klp_convert_straight (the usual
 *	module: checked, converted and written in one pass; or declined) ->
 *	elf_open -> klp_convert (plan, check, rewrite the model) ->
 *	elf_write (temporary file, written while klp_convert_verify checks
 *	the model, or after it below 2 MiB; rename) -> elf_close
 */
#define _GNU_SOURCE
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "convert.h"
#include "diag.h"
#include "elf-file.h"
#include "klp.h"

#ifndef KLP_CONVERT_VERSION
#define KLP_CONVERT_VERSION "0.1"
#endif

enum exit_status {
	EXIT_OK = 0,		/* converted, or nothing to convert */
	EXIT_REFUSED = 1,	/* problems found or writing failed; no output */
	EXIT_USAGE = 2,		/* bad command line */
};

struct args {
	const char *input;
	const char *output;	/* NULL: convert in place */
	char **files;		/* --check: every operand */
	size_t nfiles;
	const char **symvers;
	size_t nsymvers;
	int verbose;
	bool dry_run;
	bool check;
	bool json;
	bool format_given;
};

/* ------------------------------------------------------------------ */
/* Command line                                                       */
/* ------------------------------------------------------------------ */

enum { OPT_SYMVERS = 0x100, OPT_CHECK, OPT_FORMAT };

static const struct argp_option options[] = {
	{ "output", 'o', "FILE", 0,
	  "Write the converted module to FILE instead of converting in place", 0 },
	{ "dry-run", 'n', NULL, 0,
	  "Plan and check the conversion, write nothing", 0 },
	{ "verbose", 'v', NULL, 0,
	  "Print one line per moved relocation, and a summary", 0 },
	{ "quiet", 'q', NULL, 0, "Print errors only", 0 },
	{ "symvers", OPT_SYMVERS, "FILE", 0,
	  "Module.symvers of the kernel (repeat for modules the patch depends "
	  "on): every undefined symbol left after conversion must be exported "
	  "by one of them", 0 },
	{ "check", OPT_CHECK, NULL, 0,
	  "Check each FILE (any livepatch module) against the kernel's rules "
	  "and report every violation; write nothing", 0 },
	{ "format", OPT_FORMAT, "FORMAT", 0,
	  "With --check: 'text' (default) or 'json' on standard output", 0 },
	{ NULL, 0, NULL, 0, NULL, 0 }
};

static const char doc[] =
	"Convert the klp_reloc.h annotations of a livepatch module into the "
	"kernel's livepatch relocations (.klp.rela.* sections, .klp.sym.* "
	"symbols with SHN_LIVEPATCH).  Run it after the final link of the .ko "
	"and before signing it."
	"\v"
	"With --check, every FILE is checked, nothing is written, and each "
	"finding names the rule broken and what the kernel would say.\n\n"
	"With one FILE the module is converted in place; with IN OUT (the "
	"upstream klp-convert's calling convention) or -o OUT the result goes "
	"to OUT.  Output is written to a temporary file next to the "
	"destination and renamed over it.  A module without annotations is "
	"left untouched.\n\n"
	"Exit status: 0 converted or nothing to convert (--check: no "
	"errors, warnings allowed); 1 problems were found (the first 100 "
	"shown, then how many more) "
	"or the output or standard output could not be written, and nothing "
	"was written (unless the error says the output was written all the "
	"same: only -v's last line was lost); 2 usage error.";

const char *argp_program_version = "klp-convert-mini " KLP_CONVERT_VERSION;
const char *argp_program_bug_address = NULL;

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct args *a = state->input;

	switch (key) {
	case 'o':
		if (a->output)
			argp_error(state, "-o given twice");
		if (!*arg)
			argp_error(state, "-o: empty file name");
		a->output = arg;
		break;
	case 'n':
		a->dry_run = true;
		break;
	case 'v':
		if (a->verbose >= 0)
			a->verbose++;
		break;
	case 'q':
		a->verbose = -1;
		break;
	case OPT_SYMVERS:
		a->symvers = xrealloc(a->symvers,
				      (a->nsymvers + 1) * sizeof(*a->symvers));
		a->symvers[a->nsymvers++] = arg;
		break;
	case OPT_CHECK:
		a->check = true;
		break;
	case OPT_FORMAT:
		a->format_given = true;
		if (strcmp(arg, "json") == 0)
			a->json = true;
		else if (strcmp(arg, "text") != 0)
			argp_error(state, "--format is 'text' or 'json'");
		break;
	case ARGP_KEY_ARG:
		if (!*arg)
			argp_error(state, "empty file name");
		a->files = xrealloc(a->files, (a->nfiles + 1) * sizeof(*a->files));
		a->files[a->nfiles++] = arg;
		if (a->check)
			break;
		if (!a->input) {
			a->input = arg;
		} else if (!a->output && state->arg_num == 1) {
			a->output = arg;	/* klp-convert IN OUT */
		} else {
			argp_error(state, "too many operands (or -o together with IN OUT)");
		}
		break;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no module given");
		break;
	case ARGP_KEY_END:
		if (a->check && (a->output || a->dry_run))
			argp_error(state, "--check writes nothing: no -o or -n with it");
		if (a->format_given && !a->check)
			argp_error(state, "--format goes with --check");
		if (a->check)
			a->input = NULL;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static void parse_args(int argc, char **argv, struct args *a)
{
	static const struct argp argp = {
		options, parse_opt, "FILE.ko\nIN.ko OUT.ko\n--check FILE.ko...", doc,
		NULL, NULL, NULL
	};

	argp_err_exit_status = EXIT_USAGE;
	argp_parse(&argp, argc, argv, 0, NULL, a);
}

/* ------------------------------------------------------------------ */
/* Steps                                                              */
/* ------------------------------------------------------------------ */

static struct klp_symvers *load_symvers(const struct args *a)
{
	struct klp_symvers *sv;

	if (a->nsymvers == 0)
		return NULL;
	sv = klp_symvers_new();
	for (size_t i = 0; i < a->nsymvers; i++) {
		size_t bad_line;

		struct diag d = { .file = a->symvers[i] };
		char *where = NULL;

		if (klp_symvers_load(sv, a->symvers[i], &bad_line) == 0)
			continue;
		if (bad_line) {
			/* FILE:LINE, as compilers say it */
			if (asprintf(&where, "%s:%zu", a->symvers[i], bad_line) < 0)
				INTERNAL_ERROR("out of memory");
			d.file = where;
			diag_error(&d, "not a Module.symvers line (0xCRC, a tab, the symbol, ...): give the Module.symvers of the kernel or of a module");
		} else {
			diag_error(&d, "cannot read: %s", strerror(errno));
		}
		free(where);
		klp_symvers_free(sv);
		exit(EXIT_REFUSED);
	}
	return sv;
}

/*
 * Where the output goes.  Converting in place replaces the file a symlink
 * points to, not the link, so resolve links of an existing destination.
 * *SAME tells whether the destination is the input itself.
 */
/*
 * realpath() fails on a path longer than PATH_MAX (ENAMETOOLONG), which
 * open() and rename() take step by step through a relative name: follow
 * DEST's links by hand then, as the kernel would (at most 40).
 */
static char *follow_links(const char *dest)
{
	char *path = xstrdup(dest);

	for (int hops = 0; hops < 40; hops++) {
		char target[PATH_MAX], *next;
		struct stat st;
		const char *slash;
		size_t dirlen;
		ssize_t n;

		if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
			break;
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			break;
		target[n] = '\0';
		/* a relative target is relative to the link's directory */
		slash = strrchr(path, '/');
		dirlen = target[0] == '/' || !slash ? 0 : (size_t)(slash - path) + 1;
		next = xmalloc(dirlen + (size_t)n + 1);
		memcpy(next, path, dirlen);
		memcpy(next + dirlen, target, (size_t)n + 1);
		free(path);
		path = next;
	}
	return path;
}

static char *output_path(const char *input, const char *output, bool *same)
{
	const char *dest = output ? output : input;
	struct stat in_st, out_st;
	char *real = realpath(dest, NULL);

	/* A link to nothing (or a loop): replacing the link would leave
	 * its target missing, and writing through it is what cp(1) refuses
	 * too.  errno says why.  */
	if (!real && (errno == ENOENT || errno == ELOOP)) {
		int err = errno;

		if (lstat(dest, &out_st) == 0 && S_ISLNK(out_st.st_mode)) {
			errno = err;
			return NULL;
		}
	}

	*same = !output ||
		(stat(input, &in_st) == 0 && stat(dest, &out_st) == 0 &&
		 in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino);
	if (real)
		return real;
	return follow_links(dest);
}

static bool verify_model(void *ef)
{
	return klp_convert_verify(ef);
}

/* What a failure to write stdout leaves: said after the error. */
#define WRITTEN_NOTE	"; the output was written all the same"
static const char *stdout_fail_note = "";

/*
 * -v lines and --format=json go to stdout: a pipeline must learn when
 * they did not arrive (disk full, closed pipe).  Checked before anything
 * is written, and again at exit for the summary printed after.
 */
static bool stdout_ok(void)
{
	static bool reported;

	if (fflush(stdout) == 0 && !ferror(stdout))
		return true;
	if (!reported)
		fprintf(stderr, "%s: error: cannot write to standard output: %s%s\n",
			diag_progname, strerror(errno), stdout_fail_note);
	reported = true;
	return false;
}

static void note_converted(struct diag *d, const struct convert_stats *stats,
			   bool dry_run, bool same, const char *out)
{
	diag_note(d, "%s%zu symbol%s converted, %zu relocation%s moved into %zu klp relocation section%s%s%s",
		  dry_run ? "dry run: " : "",
		  stats->symbols, stats->symbols == 1 ? "" : "s",
		  stats->relocs, stats->relocs == 1 ? "" : "s",
		  stats->sections, stats->sections == 1 ? "" : "s",
		  dry_run || same ? "" : ", written to ",
		  dry_run || same ? "" : out);
}

/*
 * The straight path (stream.c) writes the usual module as the model
 * would, without one.  Not for what only the model does: -n, and -v's
 * lines.  KLP_CONVERT_PATH=model in the environment keeps
 * every module on the model's path: the tests compare the two.
 */
static bool straight_allowed(const struct args *a)
{
	const char *path = getenv("KLP_CONVERT_PATH");

	return !a->dry_run && a->verbose <= 0 &&
	       !(path && strcmp(path, "model") == 0);
}

static int convert_file(const struct args *a, const struct klp_symvers *sv)
{
	struct diag d = { .file = a->input, .verbose = a->verbose };
	struct convert_opts opts = { .symvers = sv };
	struct convert_stats stats;
	struct elf_file ef;
	struct stat st;
	bool same;
	char *out = NULL;
	int ret = EXIT_REFUSED;

	stdout_fail_note = "; nothing written";
	/* The usual module takes the straight path; the model reports. */
	if (straight_allowed(a)) {
		out = output_path(a->input, a->output, &same);
		switch (out ? klp_convert_straight(&d, a->input, out, sv, &stats)
			    : CONVERT_DECLINED) {
		case CONVERT_DONE:
			stdout_fail_note = WRITTEN_NOTE;
			note_converted(&d, &stats, false, same, out);
			ret = EXIT_OK;
			goto done;
		case CONVERT_ERROR:
			goto done;
		default:
			break;
		}
	}
	if (elf_open(&ef, &d, a->input) != 0 || fstat(ef.fd, &st) != 0)
		goto out;
	if (!out)
		out = output_path(a->input, a->output, &same);
	if (!out) {
		diag_error(&d, "output %s is a symbolic link that cannot be followed (%s): not writing through it",
			   a->output ? a->output : a->input, strerror(errno));
		goto out;
	}

	switch (klp_convert(&ef, &opts, &stats)) {
	case CONVERT_DECLINED:
		INTERNAL_ERROR("the model declined a module");
	case CONVERT_ERROR:
		goto out;
	case CONVERT_NOTHING:
		diag_note(&d, "no klp_reloc.h symbols: nothing to convert%s",
			  same ? ", file left untouched" : "");
		if (!stdout_ok())
			goto out;
		if (!same && !a->dry_run) {
			if (elf_copy_file(&d, ef.fd, ef.size, out, &st) != 0)
				goto out;
			stdout_fail_note = WRITTEN_NOTE;
		}
		break;
	case CONVERT_DONE:
		if (!stdout_ok())
			goto out;
		/* Checked while it is written: renamed into place only if
		 * the checker agrees.  */
		if (a->dry_run ? !klp_convert_verify(&ef)
			       : elf_write(&ef, out, &st, verify_model, &ef) != 0)
			goto out;
		if (!a->dry_run)
			stdout_fail_note = WRITTEN_NOTE;
		note_converted(&d, &stats, a->dry_run, same, out);
		break;
	}
	ret = EXIT_OK;
out:
	elf_close(&ef);
done:
	diag_finish(&d);
	free(out);
	return ret;
}

/* --check: every file, all findings; 1 if any file has an error. */
static int check_files(const struct args *a, const struct klp_symvers *sv)
{
	FILE *json = a->json ? stdout : NULL;
	int ret = EXIT_OK;

	if (json)
		fputs("{\"files\": [", json);
	for (size_t i = 0; i < a->nfiles; i++) {
		struct diag d = {
			.file = a->files[i], .verbose = a->verbose, .json = json,
		};
		struct klp_checker c;
		struct elf_file ef;

		if (json) {
			fputs(i ? ",\n  {\"file\": " : "\n  {\"file\": ", json);
			diag_json_string(json, a->files[i]);
			fputs(", \"findings\": [", json);
		}
		if (elf_open(&ef, &d, a->files[i]) == 0) {
			klp_checker_init(&c, &ef);
			c.symvers = sv;
			klp_check_module(&c);
			klp_checker_free(&c);
		}
		elf_close(&ef);
		if (json)
			fprintf(json, "%s], \"errors\": %zu, \"warnings\": %zu}",
				d.json_findings ? "\n  " : "", d.errors,
				d.warnings);
		else
			diag_note(&d, "%zu error%s, %zu warning%s", d.errors,
				  d.errors == 1 ? "" : "s", d.warnings,
				  d.warnings == 1 ? "" : "s");
		diag_finish(&d);
		if (d.errors)
			ret = EXIT_REFUSED;
	}
	if (json)
		fputs("\n]}\n", json);
	return ret;
}

/* An interrupted run must not leave its temporary file behind. */
static void on_signal(int sig)
{
	/* It calls unlink(2) only, which is async-signal-safe. */
	elf_unlink_temp_signal_safe(); // NOLINT(bugprone-signal-handler)
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * The input is read through a mapping: if another process truncates it
 * meanwhile, reading raises SIGBUS.  That is bad input, not a crash.
 */
static void on_sigbus(int sig)
{
	static const char msg[] =
		": error: the input file shrank while it was being read (SIGBUS); nothing written\n";
	(void)sig;
	elf_unlink_temp_signal_safe(); // NOLINT(bugprone-signal-handler)
	/* Nothing useful to do if stderr fails here. */
	(void)!write(STDERR_FILENO, diag_progname, strlen(diag_progname));
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(EXIT_REFUSED);
}

static void setup_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
	signal(SIGBUS, on_sigbus);
	/* A file size limit must show up as EFBIG from write(2). */
	signal(SIGXFSZ, SIG_IGN);
	atexit(elf_cleanup_temp);
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct klp_symvers *sv;
	int ret;

	parse_args(argc, argv, &a);
	setup_signals();
	sv = load_symvers(&a);
	ret = a.check ? check_files(&a, sv) : convert_file(&a, sv);
	klp_symvers_free(sv);
	free(a.symvers);
	free(a.files);
	if (!stdout_ok())
		ret = EXIT_REFUSED;
	return ret;
}
