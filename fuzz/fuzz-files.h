/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz-files.h - what the fuzz targets that write files share.
 */
#ifndef KLP_FUZZ_FILES_H
#define KLP_FUZZ_FILES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A private directory for TARGET's files, one per user and shared by the
 * processes of -fork/-jobs runs, into DIR (SIZE bytes):
 * $FUZZ_TMPDIR, else /dev/shm, else /tmp, then /klp-<TARGET>.<uid>.
 * Each process names its files with its pid and removes them after every
 * input, so nothing is left behind, even by the child processes that
 * libFuzzer ends without running atexit handlers.  Exits if the
 * directory cannot be had, or is not the user's alone.
 */
void fuzz_private_dir(const char *target, char *dir, size_t size);

/* Files A and B hold the same bytes. */
bool fuzz_same_files(const char *a, const char *b);

/* elf_write()'s check, run beside the write: klp_convert_verify(EF). */
bool fuzz_verify_model(void *ef);

#endif /* KLP_FUZZ_FILES_H */
