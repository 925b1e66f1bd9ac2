// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-run.c - run one command and record its wall time and peak RSS.
 *
 *   bench-run RESULT COMMAND [ARG...]
 *
 * Writes "WALL_NS MAXRSS_KIB STATUS CPU_NS\n" to the file RESULT, where
 * WALL_NS is the monotonic wall-clock time from fork to reaping the child,
 * MAXRSS_KIB the child's ru_maxrss from wait4(2), STATUS its exit status
 * (128 + the signal number if it was killed) and CPU_NS its user + system
 * CPU time, which a busy machine disturbs less than the wall time.  The command's own output goes where
 * bench-run's goes.  bench-run exits with STATUS, or 127 if the command could
 * not be run.  Part of klp-convert-mini's benchmark (bench/bench.sh).
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000u + (uint64_t)tv->tv_usec * 1000u;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	uint64_t t0, t1;
	pid_t pid;
	int st, code;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-run RESULT COMMAND [ARG...]\n");
		return 2;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bench-run: fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "bench-run: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "bench-run: wait4: %s\n", strerror(errno));
			return 127;
		}
	}
	t1 = now_ns();
	code = WIFEXITED(st) ? WEXITSTATUS(st) :
	       WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 127;

	f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%llu %ld %d %llu\n", (unsigned long long)(t1 - t0),
			  ru.ru_maxrss, code,
			  (unsigned long long)(tv_ns(&ru.ru_utime) +
					       tv_ns(&ru.ru_stime))) < 0 ||
	    fclose(f)) {
		fprintf(stderr, "bench-run: %s: %s\n", argv[1], strerror(errno));
		return 127;
	}
	return code;
}
