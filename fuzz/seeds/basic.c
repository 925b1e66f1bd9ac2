/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * basic.c - fuzz seed: a small livepatch module the way authors write one.
 * vmlinux and module symbols, code and data references, an exported
 * symbol left alone.  Built per architecture by fuzz/make-seeds.sh.
 */
#include "klp_reloc.h"

#define MODINFO(name, str)						\
	static const char name[] __attribute__((section(".modinfo"),	\
		used, aligned(1))) = str

MODINFO(mi_livepatch, "livepatch=Y");
MODINFO(mi_license, "license=GPL");

extern long jiffies_64 KLP_RELOC_SYMBOL(vmlinux, jiffies_64, 0);
extern int vm_helper(int) KLP_RELOC_SYMBOL(vmlinux, helper, 2);
extern int mod_counter KLP_RELOC_SYMBOL(klp_mod, counter, 0);
extern int mod_fn(int) KLP_RELOC_SYMBOL_POS(klp_mod, klp_mod, mod_fn, 1);
extern int printk(const char *fmt, ...);

static int calls;

int patched_show(char *buf)
{
	calls++;
	printk("%ld\n", jiffies_64);
	return mod_fn(mod_counter) + vm_helper(buf[0]);
}

int patched_count(void)
{
	return vm_helper(calls);
}

int *patched_ptrs[] = { &mod_counter, &calls };
int (*patched_fns[])(int) = { vm_helper, mod_fn };
