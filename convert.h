/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * convert.h - turn klp_reloc.h's prefixed symbols into klp relocations.
 */
#ifndef KLP_CONVERT_H
#define KLP_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "elf-file.h"
#include "klp.h"

struct convert_opts {
	/* When set, every undefined symbol left after conversion must be
	 * one of these exports.  */
	const struct klp_symvers *symvers;
	/* Threads for the relocation scan: 0 to choose (two for big
	 * modules when the machine has them), 1 for the serial scan, 2
	 * for two whatever the size.  Same plan either way.  */
	unsigned int threads;
};

struct convert_stats {
	size_t symbols;		/* prefixed symbols converted */
	size_t relocs;		/* relocations moved */
	size_t sections;	/* klp relocation sections created or extended */
	unsigned int scan_threads;	/* the relocation scan ran on */
};

enum convert_result {
	CONVERT_ERROR = -1,	/* problems reported; the model is spoilt */
	CONVERT_NOTHING = 0,	/* no prefixed symbols: leave the file alone */
	CONVERT_DONE = 1,	/* the model holds the converted object */
	CONVERT_DECLINED = 2,	/* klp_convert_straight(): not the usual
				 * module; nothing said, nothing written */
};

/*
 * The straight path (stream.c): convert the module at PATH, if it is the
 * usual one, in one pass, writing OUT_PATH as it goes.  CONVERT_DONE:
 * written and renamed into place; CONVERT_ERROR: the output could not be
 * written (reported); CONVERT_DECLINED: nothing said or written, use
 * klp_convert().  SYMVERS as in struct convert_opts.  Never for -n or -v.
 */
enum convert_result klp_convert_straight(struct diag *d, const char *path,
					 const char *out_path,
					 const struct klp_symvers *symvers,
					 struct convert_stats *stats);

/*
 * Plan and check the conversion of EF, report every problem, and if there
 * are none, apply it to the model (which elf_write() then writes).  With
 * diag verbosity > 0, print one line per moved relocation.
 */
enum convert_result klp_convert(struct elf_file *ef,
				const struct convert_opts *opts,
				struct convert_stats *stats);

/*
 * After CONVERT_DONE: check the model as --check would check the output,
 * and report any finding as the converter's internal error.  Only reads
 * the model, so it can run while elf_write() writes it (pass it there).
 */
bool klp_convert_verify(struct elf_file *ef);

#endif /* KLP_CONVERT_H */
