/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef POS_H
#define POS_H
int pos_a_value(void);
int pos_b_value(void);
#endif
