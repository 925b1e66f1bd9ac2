/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * calls.c - fuzz seed: klp symbols reached only by calls and by pointers
 * in data, the two kinds of reference every architecture's loader can
 * apply as a klp relocation (riscv64 cannot take the PCREL_HI20 of a
 * direct data access).  Also an __init function and a debug-only
 * reference, which stay where they are.
 */
#include "klp_reloc.h"

static const char mi_livepatch[] __attribute__((section(".modinfo"), used,
	aligned(1))) = "livepatch=Y";
static const char mi_depends[] __attribute__((section(".modinfo"), used,
	aligned(1))) = "depends=klp_mod";

extern int vm_call(int) KLP_RELOC_SYMBOL(vmlinux, vm_call, 0);
extern int mod_call(int) KLP_RELOC_SYMBOL(klp_mod, mod_call, 0);
extern int mod_data KLP_RELOC_SYMBOL(klp_mod, mod_data, 4);
extern int printk(const char *fmt, ...);

int patched_a(int x)
{
	return vm_call(x) + mod_call(x + 1);
}

int patched_b(int x)
{
	printk("%d\n", x);
	return vm_call(x * 3);
}

int *const patched_data[] = { &mod_data };
void *patched_fn_table[] = { (void *)vm_call, (void *)mod_call };
