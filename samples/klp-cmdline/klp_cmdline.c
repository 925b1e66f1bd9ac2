// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_cmdline - livepatch /proc/cmdline through a non-exported vmlinux symbol.
 *
 * Replaces fs/proc/cmdline.c:cmdline_proc_show() with a version that prints
 * a marker before the command line.  The command line lives in
 * saved_command_line, which vmlinux does not export: a plain extern would
 * leave an undefined symbol that the module loader refuses ("Unknown
 * symbol").  KLP_RELOC_SYMBOL() names it for the livepatch core instead,
 * which resolves it through kallsyms when this module loads.
 *
 * After loading:  cat /proc/cmdline  ->  klp_cmdline: <the command line>
 */

#include <linux/kernel.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/seq_file.h>

#include "klp_reloc.h"

/* vmlinux's own declaration in <linux/init.h> is fine to repeat: the macro
 * only gives the symbol another assembler name. */
extern char *saved_command_line KLP_RELOC_SYMBOL(vmlinux, saved_command_line, 0);

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
		/* name NULL: vmlinux */
		.funcs = funcs,
	},
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
};

static int __init klp_cmdline_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit klp_cmdline_exit(void)
{
}

module_init(klp_cmdline_init);
module_exit(klp_cmdline_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: patch /proc/cmdline using saved_command_line");
MODULE_INFO(livepatch, "Y");
