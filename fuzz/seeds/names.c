/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * names.c - fuzz seed: the corners of the name grammar that are valid.
 * Dotted symbol names (the position follows the last dot), the v1/v2
 * ",pos" spelling, a long position, a function in its own section, a
 * relocation from a read-only table, two relocation objects into one
 * section.
 */
#include "klp_reloc.h"

static const char mi_livepatch[] __attribute__((section(".modinfo"), used,
	aligned(1))) = "livepatch=Y";

extern int isra_fn(int) KLP_RELOC_SYMBOL(vmlinux, isra_fn.isra.0, 1);
extern int cold_data KLP_RELOC_SYMBOL_POS(other_mod, other_mod, cold.0, 18446744073709551615);
extern int old_style __asm__("\".klp.sym.rela.vmlinux.vmlinux.old_style,3\"");
extern int sym_in_mod KLP_RELOC_SYMBOL_POS(vmlinux, vmlinux, in_vm, 0);

__attribute__((section(".text.patched_one")))
int patched_one(int x)
{
	return isra_fn(x) + old_style + sym_in_mod;
}

int patched_two(void)
{
	return cold_data;
}

const int *const patched_table[] = { &cold_data, &old_style };
