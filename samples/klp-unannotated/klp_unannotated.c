// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_unannotated - the mistake klp-convert-mini.mk catches at build time.
 *
 * Like ../klp-cmdline, but it uses saved_command_line through the plain
 * declaration in <linux/init.h>, without KLP_RELOC_SYMBOL().  vmlinux does
 * not export the symbol, so the module loader would refuse the module
 * ("Unknown symbol saved_command_line").  modpost only warns about it here
 * (the fragment sets KBUILD_MODPOST_WARN=1 for the annotated symbols); the
 * post-link step fails the build instead:
 *
 *	klp-convert-mini: error: ... symbol 'saved_command_line' is not exported
 *	by the kernel or a dependency; annotate it with KLP_RELOC_SYMBOL(...)
 *
 * Building this sample is meant to fail.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

static int livepatch_cmdline_proc_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%s: %s\n", KBUILD_MODNAME, saved_command_line);
	return 0;
}

static struct klp_func funcs[] = {
	{
		.old_name = "cmdline_proc_show",
		.new_func = livepatch_cmdline_proc_show,
	},
	{ }
};

static struct klp_object objs[] = {
	{
		.funcs = funcs,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init klp_unannotated_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit klp_unannotated_exit(void)
{
}

module_init(klp_unannotated_init);
module_exit(klp_unannotated_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: a non-exported symbol used without the macro");
MODULE_INFO(livepatch, "Y");
