// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * write-floor.c - the least any converter writing its output from user
 * space must do: read the input once, write the output's bytes once.
 *
 *   write-floor INPUT OUTPUT SIZE
 *
 * Maps INPUT read-only and writes SIZE bytes of it (from its start again
 * when SIZE is larger) to OUTPUT, created afresh, straight from the
 * mapping in 128 KiB write(2) calls, so every input page is faulted in
 * once and every output page is written once.  On ext4 and btrfs its
 * blocks are allocated first with one fallocate(2) (KEEP_SIZE), as
 * klp-convert-mini does there: writing is then cheaper.  No parsing, no working
 * memory, no temporary file.  cp copies inside the kernel and only as many
 * bytes as the input has; a converter's output is bigger and almost all
 * of it is written from user space (moved relocations, symbols, names,
 * section headers; klp-convert-mini copies only unchanged stretches of 64
 * KiB or more inside the kernel), so this is the floor it is measured
 * against beside cp.  Part of klp-convert-mini's benchmark
 * (bench/bench.sh).
 */
#define _GNU_SOURCE	/* fallocate() */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#define CHUNK	(128u << 10)	/* the tool's output buffer size */

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "write-floor: %s: %s: %s\n", path, what,
		strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *in_path, *out_path;
	unsigned long long want;
	uint64_t done = 0;
	const char *map;
	struct statfs fs;
	struct stat st;
	char *end;
	int in, out;

	if (argc != 4) {
		fprintf(stderr, "usage: write-floor INPUT OUTPUT SIZE\n");
		return 2;
	}
	in_path = argv[1];
	out_path = argv[2];
	errno = 0;
	want = strtoull(argv[3], &end, 10);
	/* strtoull() takes "-1" for 2^64 - 1: digits only.  */
	if (argv[3][0] < '0' || argv[3][0] > '9' || errno || *end) {
		fprintf(stderr, "write-floor: SIZE '%s' is not a number\n",
			argv[3]);
		return 2;
	}
	in = open(in_path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return fail("cannot open", in_path);
	if (fstat(in, &st) != 0)
		return fail("cannot stat", in_path);
	if (st.st_size == 0) {
		fprintf(stderr, "write-floor: %s: empty\n", in_path);
		return 1;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, in, 0);
	if (map == MAP_FAILED)
		return fail("cannot map", in_path);
	out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return fail("cannot create", out_path);
	/* As in the tool: on ext4 and btrfs only, and a hint (errors are
	 * left to write(2)).  */
	if (fstatfs(out, &fs) == 0 && (fs.f_type == EXT4_SUPER_MAGIC ||
				       fs.f_type == BTRFS_SUPER_MAGIC))
		(void)fallocate(out, FALLOC_FL_KEEP_SIZE, 0, (off_t)want);
	while (done < want) {
		uint64_t at = done % (uint64_t)st.st_size;
		uint64_t n = want - done;
		ssize_t r;

		if (n > CHUNK)
			n = CHUNK;
		if (n > (uint64_t)st.st_size - at)
			n = (uint64_t)st.st_size - at;
		r = write(out, map + at, (size_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			errno = ENOSPC;
		if (r <= 0)
			return fail("cannot write", out_path);
		done += (uint64_t)r;
	}
	if (close(out) != 0)
		return fail("cannot write", out_path);
	return 0;
}
