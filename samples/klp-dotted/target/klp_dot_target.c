// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_dot_target - a module whose static local variable has a dotted name.
 *
 * gcc gives a function's static local variable an assembler name made of
 * its own name, a dot and a number: "hits" in dot_report() becomes the local
 * symbol hits.0 (check with `nm klp_dot_target.ko`), and kallsyms shows it
 * under that name.
 *
 *	cat /sys/module/klp_dot_target/parameters/hits
 *	original hits=1
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/module.h>

static noinline int dot_report(char *buf)
{
	static int hits;

	hits++;
	return scnprintf(buf, PAGE_SIZE, "original hits=%d\n", hits);
}

static int hits_get(char *buf, const struct kernel_param *kp)
{
	return dot_report(buf);
}

static const struct kernel_param_ops hits_ops = {
	.get = hits_get,
};
module_param_cb(hits, &hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "what dot_report() says (read-only)");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: a static local variable to livepatch");
