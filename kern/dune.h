/* SPDX-License-Identifier: GPL-2.0 */
/* dune.ko internal interfaces. */
#ifndef DUNE_INTERNAL_H
#define DUNE_INTERNAL_H

#include <linux/types.h>
#include "vmx_caps.h"

/* vmx.c: VMX on every online CPU while anything needs it (reference counted). */
extern struct dune_vmx_caps dune_caps;
int dune_vmx_init(void);
void dune_vmx_exit(void);
int dune_vmx_get(void);
void dune_vmx_put(void);
unsigned int dune_vmx_users(void);


#endif
