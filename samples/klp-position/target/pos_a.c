// SPDX-License-Identifier: GPL-2.0-or-later
/* klp_pos_target: pos_value number 1 in kallsyms order (see pos_main.c). */
#include "pos.h"

/* __used: never written, gcc would otherwise fold it into pos_*_value(). */
static int pos_value __used = 1111;

int pos_a_value(void)
{
	return pos_value;
}
