// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * klp_pos_ambig - klp_pos_patch with position 0 for pos_value.
 *
 * Position 0 claims the name is unique in klp_pos_target; it is not, so the
 * kernel refuses to enable this patch:
 *	livepatch: unresolvable ambiguity for symbol 'pos_value' in object 'klp_pos_target'
 */
#define KLP_POS 0
#include "klp_pos_patch.c"
