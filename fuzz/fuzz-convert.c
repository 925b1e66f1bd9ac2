// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-convert.c - libFuzzer target: arbitrary bytes through the whole
 * pipeline of klp-convert-mini, as the command line runs it.
 *
 *	bytes -> elf_open_mem -> klp_convert -> elf_write (temporary file,
 *	rename) -> elf_open -> klp_convert again -> elf_close
 *
 * What it checks besides the sanitizers: a file the tool has written
 * reads back, and converting it again finds nothing to do (a converted
 * module holds no klp_reloc.h names any more).  Anything else abort()s.
 *
 * The tool's messages go to stderr; run with -close_fd_mask=2 to keep the
 * fuzzer's output readable.  Built by fuzz/Makefile with
 * -fsanitize=fuzzer,address,undefined from the tool's own sources minus
 * klp-convert-mini.c (which holds main).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../convert.h"
#include "../diag.h"
#include "../elf-file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The written files go to a private directory, one per user and shared by
 * the processes of -fork/-jobs runs, each writing its own out.<pid>.ko and
 * removing it after every input; so nothing is left behind, even by the
 * child processes that libFuzzer ends without running atexit handlers.
 */
static char out_dir[4096];
static char out_path[sizeof(out_dir) + 64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("FUZZ_TMPDIR");
	struct stat st;

	(void)argc;
	(void)argv;
	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if (snprintf(out_dir, sizeof(out_dir), "%s/klp-fuzz-convert.%u", base,
		     (unsigned)getuid()) >= (int)sizeof(out_dir) ||
	    (mkdir(out_dir, 0700) != 0 && errno != EEXIST) ||
	    lstat(out_dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077)) {
		fprintf(stderr, "fuzz-convert: cannot use %s as a private directory\n",
			out_dir);
		exit(1);
	}
	snprintf(out_path, sizeof(out_path), "%s/out.%ld.ko", out_dir,
		 (long)getpid());
	return 0;
}

/* The written file must read back, and hold nothing left to convert. */
static void check_written(void)
{
	struct diag d = { .file = "fuzz-output", .verbose = -1 };
	struct convert_opts opts = { 0 };
	struct convert_stats stats;
	struct elf_file ef;
	enum convert_result r;

	if (elf_open(&ef, &d, out_path) != 0) {
		fprintf(stderr, "fuzz-convert: the converted file does not read back\n");
		abort();
	}
	r = klp_convert(&ef, &opts, &stats);
	if (r != CONVERT_NOTHING) {
		fprintf(stderr, "fuzz-convert: converting the output again gave %d, not CONVERT_NOTHING\n",
			(int)r);
		abort();
	}
	elf_close(&ef);
}

static bool verify_model(void *ef)
{
	return klp_convert_verify(ef);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { .file = "fuzz", .verbose = -1 };
	struct convert_opts opts = { 0 };
	struct convert_stats stats;
	struct elf_file ef;
	char *buf;
	bool written = false;

	/* elf_open_mem wants a writable image that lives until elf_close;
	 * an exact-size copy lets ASan see any read past its end.  */
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);

	if (elf_open_mem(&ef, &d, buf, size) == 0 &&
	    klp_convert(&ef, &opts, &stats) == CONVERT_DONE) {
		struct stat st = { .st_mode = 0600, .st_uid = getuid(),
				   .st_gid = getgid() };

		written = elf_write(&ef, out_path, &st, verify_model, &ef) == 0;
	}
	elf_close(&ef);
	if (written)
		check_written();
	unlink(out_path);
	free(buf);
	return 0;
}
