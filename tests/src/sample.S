/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sample.S - a livepatch module small enough to predict byte for byte.
 *
 * Written in assembly so that every relocation's offset, type and addend
 * is fixed by this file rather than by a compiler version, and so that the
 * assembler macros of klp_reloc.h get used.  x86_64 only.
 *
 *   cc -c -I. -Itests/src tests/src/sample.S -o sample.o
 *   ld -r -o sample.ko sample.o
 *
 * Three annotated symbols (one vmlinux, two of the module klp_target), each
 * used from .text and some from .data, next to relocations that must stay:
 * a call to the exported printk and a pointer to a local variable.
 */
#include "klp_reloc.h"
#include "modinfo.h"

	MODINFO "license=GPL"
	MODINFO "livepatch=Y"

	KLP_RELOC_SYMBOL_POS cmdline, vmlinux, vmlinux, saved_command_line, 0
	KLP_RELOC_SYMBOL tcount, klp_target, counter, 2
	KLP_RELOC_SYMBOL_POS tfn, klp_target, klp_target, target_fn, 1

	.text
	.globl	lp_fn
	.type	lp_fn, @function
lp_fn:
	call	printk			/* 0x1: stays */
	movq	cmdline(%rip), %rax	/* 0x8: .klp.rela.vmlinux..text */
	call	tfn			/* 0xd: .klp.rela.klp_target..text */
	movl	tcount(%rip), %eax	/* 0x13: .klp.rela.klp_target..text */
	ret
	.size	lp_fn, .-lp_fn

	.data
	.globl	lp_ptrs
	.type	lp_ptrs, @object
lp_ptrs:
	.quad	cmdline			/* 0x0: .klp.rela.vmlinux..data */
	.quad	tfn + 8			/* 0x8: .klp.rela.klp_target..data */
	.quad	local_var		/* 0x10: stays */
	.size	lp_ptrs, .-lp_ptrs
local_var:
	.quad	0

	.section .note.GNU-stack,"",@progbits
