// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_target_patch - livepatch a module through its static symbols.
 *
 * Replaces klp_target's static target_describe().  The new version uses the
 * target's static variable target_calls and static function target_scale():
 * neither is exported, and klp_target need not even be loaded when this
 * patch is.  KLP_RELOC_SYMBOL(klp_target, ...) puts the relocations into
 * .klp.rela.klp_target.* sections, which the livepatch core applies when
 * the patch is enabled if klp_target is there, or else when klp_target
 * loads.
 *
 *	cat /sys/module/klp_target/parameters/state
 *	klp_target_patch calls=2 scaled=20
 */
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>

#include "klp_reloc.h"

extern int target_calls KLP_RELOC_SYMBOL(klp_target, target_calls, 0);
extern int target_scale(int value) KLP_RELOC_SYMBOL(klp_target, target_scale, 0);

static int livepatch_target_describe(char *buf)
{
	target_calls++;
	return scnprintf(buf, PAGE_SIZE, "%s calls=%d scaled=%d\n", KBUILD_MODNAME,
			 target_calls, target_scale(target_calls));
}

static struct klp_func funcs[] = {
	{
		.old_name = "target_describe",
		.new_func = livepatch_target_describe,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.name = "klp_target",
		.funcs = funcs,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init klp_target_patch_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit klp_target_patch_exit(void)
{
}

module_init(klp_target_patch_init);
module_exit(klp_target_patch_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: livepatch klp_target through its static symbols");
MODULE_INFO(livepatch, "Y");
