/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sample.c - a small livepatch module in C, the way a patch author writes
 * one: annotated externs for what the kernel does not export, an ordinary
 * extern (printk) for what it does, code and data that use both.
 *
 *   cc -c -O2 $KCFLAGS -I. -Itests/src tests/src/sample.c -o sample.o
 *   ld -r -o sample.ko sample.o
 *
 * The tests derive what the converted module must hold from the
 * unconverted one (tests/predict.awk), so this compiles with any gcc for
 * any architecture.
 */
#include "klp_reloc.h"
#include "modinfo.h"

MODULE_INFO(license, "GPL");
MODULE_INFO(livepatch, "Y");
MODULE_INFO(description, "klp-convert-mini test sample");

extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);
extern int vmlinux_helper(int) KLP_RELOC_SYMBOL(vmlinux, helper, 2);
extern int target_counter KLP_RELOC_SYMBOL(klp_target, counter, 0);
extern int target_fn(int) KLP_RELOC_SYMBOL_POS(klp_target, klp_target, target_fn, 1);
extern int printk(const char *fmt, ...);

static int calls;

int livepatch_show(char *buf)
{
	calls++;
#ifndef __riscv
	printk("%s\n", saved_command_line);
	return target_fn(target_counter) + vmlinux_helper(buf[0]);
#else
	/*
	 * Not on riscv: with the kernel's -mcmodel=medany a load of an
	 * extern is a PC-relative HI20/LO12 pair in which only HI20 names
	 * the symbol, and the kernel finds a LO12's HI20 in the same
	 * relocation section only; run-cross.sh tests that case by itself.
	 */
	printk("%s\n", "riscv");
	return target_fn(0) + vmlinux_helper(buf[0]);
#endif
}

int livepatch_count(void)
{
	return target_fn(calls);
}

int *livepatch_ptrs[] = { &target_counter, &calls };
int (*livepatch_fns[])(int) = { vmlinux_helper, target_fn };
