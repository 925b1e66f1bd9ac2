// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-straight.c - libFuzzer target: arbitrary bytes through the
 * straight path (stream.c), judged against the model.
 *
 *	bytes -> file -> klp_convert_straight -> DONE or DECLINED
 *	DONE: elf_open -> klp_convert -> elf_write, and the two outputs
 *	      compared byte for byte
 *
 * What the straight path promises, and what this target asserts beside
 * the sanitizers:
 *   - it never reports an error or a warning, and on this
 *     private directory it never fails to write: DONE or DECLINED only;
 *   - DECLINED leaves no output and no temporary file behind;
 *   - DONE means the model converts the same file with no error and no
 *     warning, moving as many symbols, relocations and sections, and
 *     writes the same bytes.
 * Anything else abort()s.  The command line takes the straight path
 * first, so what it accepts must be exactly what the model would write
 * silently.
 *
 * Built by fuzz/Makefile with -fsanitize=fuzzer,address,undefined from
 * the tool's own sources minus klp-convert-mini.c (which holds main);
 * run with -close_fd_mask=2, as fuzz-convert.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

/* In fuzz_private_dir("fuzz-straight"): in.<pid>.ko, straight.<pid>.ko
 * and model.<pid>.ko, removed after every input.  */
static char dir[4096];
static char in_path[sizeof(dir) + 64];
static char straight_path[sizeof(dir) + 64];
static char model_path[sizeof(dir) + 64];
static char temp_prefix[64];	/* "straight.<pid>.ko." */

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-straight: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	long pid = (long)getpid();

	(void)argc;
	(void)argv;
	fuzz_private_dir("fuzz-straight", dir, sizeof(dir));
	snprintf(in_path, sizeof(in_path), "%s/in.%ld.ko", dir, pid);
	snprintf(straight_path, sizeof(straight_path), "%s/straight.%ld.ko",
		 dir, pid);
	snprintf(model_path, sizeof(model_path), "%s/model.%ld.ko", dir, pid);
	snprintf(temp_prefix, sizeof(temp_prefix), "straight.%ld.ko.", pid);
	return 0;
}

static void write_input(const uint8_t *data, size_t size)
{
	FILE *f = fopen(in_path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		fail("cannot write the input file");
}

/* A temporary output of the straight path left in the directory. */
static bool temp_left(void)
{
	DIR *dp = opendir(dir);
	const struct dirent *e;
	bool left = false;

	if (!dp)
		fail("cannot read the private directory");
	while (!left && (e = readdir(dp)))
		left = strncmp(e->d_name, temp_prefix, strlen(temp_prefix)) == 0;
	closedir(dp);
	return left;
}

/* The model on the same file: silent, the same counts, the same bytes. */
static void compare_with_model(const struct convert_stats *ss)
{
	struct diag d = { .file = "fuzz-model", .verbose = -1 };
	struct convert_opts opts = { .threads = 1 };
	struct convert_stats ms;
	struct elf_file ef;
	struct stat st;

	if (elf_open(&ef, &d, in_path) != 0 || fstat(ef.fd, &st) != 0)
		fail("the straight path converted a file the model cannot open");
	if (klp_convert(&ef, &opts, &ms) != CONVERT_DONE || d.errors ||
	    d.warnings)
		fail("the straight path converted a file the model refuses or warns about");
	if (ms.symbols != ss->symbols || ms.relocs != ss->relocs ||
	    ms.sections != ss->sections)
		fail("the straight path and the model moved different counts");
	if (elf_write(&ef, model_path, &st, fuzz_verify_model, &ef) != 0)
		fail("the model could not write what the straight path wrote");
	elf_close(&ef);
	if (!fuzz_same_files(straight_path, model_path))
		fail("the straight path's output differs from the model's");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag d = { .file = "fuzz-straight", .verbose = -1 };
	struct convert_stats stats;
	enum convert_result r;

	write_input(data, size);
	r = klp_convert_straight(&d, in_path, straight_path, NULL, &stats);
	if (d.errors || d.warnings)
		fail("the straight path reported something");
	switch (r) {
	case CONVERT_DONE:
		compare_with_model(&stats);
		break;
	case CONVERT_DECLINED:
		if (access(straight_path, F_OK) == 0)
			fail("the straight path declined but wrote its output");
		break;
	default:
		fail("the straight path came to neither DONE nor DECLINED");
	}
	if (temp_left())
		fail("the straight path left a temporary file");
	unlink(in_path);
	unlink(straight_path);
	unlink(model_path);
	return 0;
}
