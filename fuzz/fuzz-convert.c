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
 * module holds no klp_reloc.h names any more); and the relocation scan
 * on two threads (which gives up on anything to report) comes to the
 * serial scan's verdict, error count and output bytes.  Anything else
 * abort()s.
 *
 * The tool's messages go to stderr; run with -close_fd_mask=2 to keep the
 * fuzzer's output readable.  Built by fuzz/Makefile with
 * -fsanitize=fuzzer,address,undefined from the tool's own sources minus
 * klp-convert-mini.c (which holds main).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../convert.h"
#include "../diag.h"
#include "../elf-file.h"
#include "fuzz-files.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The written files, in fuzz_private_dir("fuzz-convert"). */
static char out_dir[4096];
static char out_path[sizeof(out_dir) + 64];
static char out_path2[sizeof(out_dir) + 64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_private_dir("fuzz-convert", out_dir, sizeof(out_dir));
	snprintf(out_path, sizeof(out_path), "%s/out.%ld.ko", out_dir,
		 (long)getpid());
	snprintf(out_path2, sizeof(out_path2), "%s/out2.%ld.ko", out_dir,
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

/* What one run of the pipeline came to. */
struct outcome {
	enum convert_result r;
	size_t errors;
	bool written;
};

/* The bytes of the input through open, plan and write, with the scan on
 * THREADS threads, into PATH.  */
static struct outcome run(const uint8_t *data, size_t size,
			  unsigned int threads, const char *path)
{
	struct diag d = { .file = "fuzz", .verbose = -1 };
	struct convert_opts opts = { .threads = threads };
	struct outcome o = { .r = CONVERT_ERROR };
	struct convert_stats stats;
	struct elf_file ef;
	char *buf;

	/* elf_open_mem wants a writable image that lives until elf_close;
	 * an exact-size copy lets ASan see any read past its end.  */
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);

	if (elf_open_mem(&ef, &d, buf, size) == 0) {
		o.r = klp_convert(&ef, &opts, &stats);
		if (o.r == CONVERT_DONE) {
			struct stat st = { .st_mode = 0600,
					   .st_uid = getuid(),
					   .st_gid = getgid() };

			o.written = elf_write(&ef, path, &st, fuzz_verify_model,
					      &ef) == 0;
		}
	}
	elf_close(&ef);
	o.errors = d.errors;
	free(buf);
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome serial = run(data, size, 1, out_path);
	struct outcome parallel = run(data, size, 2, out_path2);

	if (serial.r != parallel.r || serial.errors != parallel.errors ||
	    serial.written != parallel.written ||
	    (serial.written && !fuzz_same_files(out_path, out_path2))) {
		fprintf(stderr, "fuzz-convert: the scan on two threads disagrees with the serial one (%d/%d, %zu/%zu errors, written %d/%d)\n",
			(int)serial.r, (int)parallel.r, serial.errors,
			parallel.errors, serial.written, parallel.written);
		abort();
	}
	if (serial.written)
		check_written();
	unlink(out_path);
	unlink(out_path2);
	return 0;
}
