/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * modinfo.h - the .modinfo strings of a kernel module, for test sources.
 *
 * The kernel's MODULE_INFO(tag, info) emits "tag=info" into .modinfo, one
 * NUL-terminated string per use; MODULE_INFO(livepatch, "Y") is what marks
 * a livepatch module, and klp-convert-mini refuses to convert a module
 * without it.  This is the same thing without a kernel tree:
 *
 *	MODULE_INFO(livepatch, "Y");
 *	MODULE_INFO(license, "GPL");
 *
 * and, in assembly sources, MODINFO "livepatch=Y".
 */
#ifndef KLP_TEST_MODINFO_H
#define KLP_TEST_MODINFO_H

#if !defined(__ASSEMBLER__)

#define __modinfo_cat2(a, b) a##b
#define __modinfo_cat(a, b) __modinfo_cat2(a, b)
#define MODULE_INFO(tag, info)						\
	static const char __modinfo_cat(__modinfo_, __COUNTER__)[]	\
	__attribute__((section(".modinfo"), used, aligned(1))) =	\
		#tag "=" info

#else

.macro MODINFO str:req
	.pushsection .modinfo,"a"
	.asciz "\str"
	.popsection
.endm

#endif

#endif /* KLP_TEST_MODINFO_H */
