// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_pos_patch - name the second of two same-named static symbols.
 *
 * klp_pos_target has two static variables called pos_value, one in pos_a.c
 * (1111, position 1) and one in pos_b.c (2222, position 2).  This livepatch
 * replaces pos_report() with a version that prints the one at position
 * KLP_POS:
 *
 *	cat /sys/module/klp_pos_target/parameters/report
 *	klp_pos_patch pos2=2222
 *
 * klp_pos_ambig.c builds the same patch with position 0 ("the name is
 * unique"), which the kernel refuses for pos_value.
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_reloc.h"

#ifndef KLP_POS
#define KLP_POS 2
#endif

/* KLP_RELOC_SYMBOL stringifies its arguments as written, so the position
 * must be a literal, not a macro. */
#if KLP_POS == 2
extern int pos_value KLP_RELOC_SYMBOL(klp_pos_target, pos_value, 2);
#elif KLP_POS == 0
extern int pos_value KLP_RELOC_SYMBOL(klp_pos_target, pos_value, 0);
#else
#error "KLP_POS: 0 or 2"
#endif

static int livepatch_pos_report(char *buf)
{
	return scnprintf(buf, PAGE_SIZE, "%s pos%d=%d\n", KBUILD_MODNAME,
			 KLP_POS, pos_value);
}

static struct klp_func funcs[] = {
	{
		.old_name = "pos_report",
		.new_func = livepatch_pos_report,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.name = "klp_pos_target",
		.funcs = funcs,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init klp_pos_patch_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit klp_pos_patch_exit(void)
{
}

module_init(klp_pos_patch_init);
module_exit(klp_pos_patch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: a static symbol named by position");
MODULE_INFO(livepatch, "Y");
