/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * good.c - the module tests/run-malformed.sh and tests/run-faults.sh break.
 *
 *	cc -c -O2 $KCFLAGS -I. tests/malformed/good.c -o good.o
 *	ld -r -o good.ko good.o
 *
 * It converts cleanly, and has one of each thing the cases corrupt: klp
 * symbols of vmlinux and of a module, relocations from code (.rela.text)
 * and from data (.rela.data), an exported symbol that stays, .bss,
 * .modinfo with livepatch=Y, an empty section (.note.GNU-stack).
 */
#include "klp_reloc.h"

#define MODINFO(name, str)						\
	static const char name[] __attribute__((section(".modinfo"),	\
		used, aligned(1))) = str

MODINFO(mi_license, "license=GPL");
MODINFO(mi_livepatch, "livepatch=Y");

extern int vm_fn(int) KLP_RELOC_SYMBOL(vmlinux, vm_fn, 0);
extern int mod_fn(int) KLP_RELOC_SYMBOL(klp_mod, mod_fn, 1);
extern int mod_var KLP_RELOC_SYMBOL(klp_mod, mod_var, 0);
extern int printk(const char *fmt, ...);

static int calls;

int good_patched(int x)
{
	calls++;
	printk("%d\n", x);
	return vm_fn(x) + mod_fn(calls);
}

int *good_ptrs[] = { &mod_var, &calls };
int (*good_fns[])(int) = { vm_fn, mod_fn };
