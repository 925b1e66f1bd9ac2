// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_pos_target - one static name, two compilation units.
 *
 * pos_a.c and pos_b.c each define a static int pos_value (1111 and 2222).
 * Linked in that order, kallsyms lists pos_a.c's first: position 1 is
 * pos_a.c's, position 2 is pos_b.c's, and the bare name is ambiguous.
 *
 *	cat /sys/module/klp_pos_target/parameters/report
 *	original a=1111 b=2222
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/module.h>

#include "pos.h"

static noinline int pos_report(char *buf)
{
	return scnprintf(buf, PAGE_SIZE, "original a=%d b=%d\n",
			 pos_a_value(), pos_b_value());
}

static int report_get(char *buf, const struct kernel_param *kp)
{
	return pos_report(buf);
}

static const struct kernel_param_ops report_ops = {
	.get = report_get,
};
module_param_cb(report, &report_ops, NULL, 0444);
MODULE_PARM_DESC(report, "what pos_report() says (read-only)");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: the same static name in two compilation units");
