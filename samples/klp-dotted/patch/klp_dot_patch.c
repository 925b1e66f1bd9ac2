// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_dot_patch - use a symbol whose name contains a dot.
 *
 * Replaces klp_dot_target's dot_report() with a version that goes on
 * counting in the original's static local variable, whose symbol is hits.0.
 * The encoded name puts the position after the *last* dot, so the dot inside
 * the symbol name survives:  .klp.sym.rela.klp_dot_target.klp_dot_target.hits.0.0
 * becomes .klp.sym.klp_dot_target.hits.0,0
 *
 *	cat /sys/module/klp_dot_target/parameters/hits   (twice before the patch)
 *	klp_dot_patch hits.0=3
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_reloc.h"

extern int dot_hits KLP_RELOC_SYMBOL(klp_dot_target, hits.0, 0);

static int livepatch_dot_report(char *buf)
{
	dot_hits++;
	return scnprintf(buf, PAGE_SIZE, "%s hits.0=%d\n", KBUILD_MODNAME, dot_hits);
}

static struct klp_func funcs[] = {
	{
		.old_name = "dot_report",
		.new_func = livepatch_dot_report,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.name = "klp_dot_target",
		.funcs = funcs,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init klp_dot_patch_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit klp_dot_patch_exit(void)
{
}

module_init(klp_dot_patch_init);
module_exit(klp_dot_patch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: a symbol with a dot in its name");
MODULE_INFO(livepatch, "Y");
