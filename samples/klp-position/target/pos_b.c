// SPDX-License-Identifier: GPL-2.0-or-later
/* klp_pos_target: pos_value number 2 in kallsyms order (see pos_main.c). */
#include "pos.h"

/* __used: never written, gcc would otherwise fold it into pos_*_value(). */
static int pos_value __used = 2222;

int pos_b_value(void)
{
	return pos_value;
}
