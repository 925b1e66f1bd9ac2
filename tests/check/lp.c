/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * lp.c - the livepatch-like module run-check.sh converts and then breaks,
 * one defect at a time, for klp-convert-mini --check.
 *
 * The default build has one klp relocation per kind of klp section: a call
 * to a vmlinux symbol (.klp.rela.vmlinux..text), a load of a module's
 * variable (.klp.rela.klp_target..text), and an ordinary call to an
 * exported symbol (printk) that stays in .rela.text.  Variants:
 *
 *   -DPLAIN            no annotation and no livepatch=Y: any kernel module
 *   -DNO_LIVEPATCH     annotations, but .modinfo lacks livepatch=Y
 *   -DCALLS_ONLY       the module's symbol is called, not loaded (riscv64:
 *                      a load there is a HI20/LO12 pair the kernel cannot
 *                      take from a klp section)
 *   -DTABLE_SECTION=S  also a table in section S holding the address of
 *                      the module's variable: S=".data.lp_table" converts,
 *                      and the tests rename the section afterwards; a
 *                      special or .init section makes the converter refuse
 *   -DWITH_RO          also a const pointer in .rodata to a vmlinux
 *                      variable: a klp relocation into a read-only section
 *   -DWITH_VMLINUX_FROM_MODULE
 *                      also a vmlinux symbol annotated for the module's klp
 *                      section, which the converter refuses
 *   -DWITH_NONZERO     also a data word with a relocation and a nonzero
 *                      value in place (x86_64 assembly), which the
 *                      converter refuses on x86_64
 */
#include "klp_reloc.h"
#include "modinfo.h"

#if !defined(PLAIN) && !defined(NO_LIVEPATCH)
MODULE_INFO(livepatch, "Y");
#endif
MODULE_INFO(license, "GPL");

extern int printk(const char *fmt, ...);

#ifndef PLAIN
extern int vm_fn(int) KLP_RELOC_SYMBOL(vmlinux, vm_fn, 0);
extern int mod_counter KLP_RELOC_SYMBOL(klp_target, counter, 0);
extern int mod_fn(int) KLP_RELOC_SYMBOL(klp_target, mod_fn, 0);
#endif

int lp_fn(int x)
{
	printk("lp %d\n", x);
#if defined(PLAIN)
	return x;
#elif defined(CALLS_ONLY)
	return vm_fn(x) + mod_fn(x);
#else
	return vm_fn(x) + mod_counter;
#endif
}

#ifdef TABLE_SECTION
int *lp_table[] __attribute__((section(TABLE_SECTION))) = { &mod_counter };
#endif

#ifdef WITH_RO
extern int vm_var KLP_RELOC_SYMBOL(vmlinux, vm_var, 0);
const int *const lp_ro_ptr = &vm_var;
#endif

#ifdef WITH_VMLINUX_FROM_MODULE
extern int vm_other(int) KLP_RELOC_SYMBOL_POS(klp_target, vmlinux, vm_other, 0);
int lp_other(int x)
{
	return vm_other(x);
}
#endif

#ifdef WITH_NONZERO
/* A relocation whose addend is in r_addend, over a word that is not 0. */
__asm__(".pushsection .data.lp_nonzero, \"aw\"\n"
	".globl lp_nonzero\n"
	".type lp_nonzero, @object\n"
	".size lp_nonzero, 8\n"
	"lp_nonzero:\n"
	".reloc ., R_X86_64_64, \".klp.sym.rela.vmlinux.vmlinux.vm_fn.0\"\n"
	".quad 0x1234\n"
	".popsection\n");
#endif
