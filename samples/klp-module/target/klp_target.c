// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_target - an ordinary module for klp_target_patch to livepatch.
 *
 * Everything the livepatch touches is static, so none of it is exported:
 * target_calls (data), target_scale() (a helper) and target_describe() (the
 * function the livepatch replaces).  Reading the module parameter "state"
 * calls target_describe():
 *
 *	cat /sys/module/klp_target/parameters/state
 *	original calls=1 scaled=10
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/module.h>

static int target_calls;

static noinline int target_scale(int value)
{
	return value * 10;
}

static noinline int target_describe(char *buf)
{
	target_calls++;
	return scnprintf(buf, PAGE_SIZE, "original calls=%d scaled=%d\n",
			 target_calls, target_scale(target_calls));
}

static int state_get(char *buf, const struct kernel_param *kp)
{
	return target_describe(buf);
}

static const struct kernel_param_ops state_ops = {
	.get = state_get,
};
module_param_cb(state, &state_ops, NULL, 0444);
MODULE_PARM_DESC(state, "what target_describe() says (read-only)");

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klp-convert-mini sample: a module with static symbols to livepatch");
