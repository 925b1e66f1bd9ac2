// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-files.c - what the fuzz targets that write files share.
 */
#define _GNU_SOURCE
#include "fuzz-files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../convert.h"

void fuzz_private_dir(const char *target, char *dir, size_t size)
{
	const char *base = getenv("FUZZ_TMPDIR");
	struct stat st;

	if (!base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if (snprintf(dir, size, "%s/klp-%s.%u", base, target,
		     (unsigned)getuid()) >= (int)size ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid() || (st.st_mode & 077)) {
		fprintf(stderr, "%s: cannot use %s as a private directory\n",
			target, dir);
		exit(1);
	}
}

bool fuzz_same_files(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;

	while (same) {
		int ca = getc(fa), cb = getc(fb);

		same = ca == cb;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

bool fuzz_verify_model(void *ef)
{
	return klp_convert_verify(ef);
}
