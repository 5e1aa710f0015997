/* The README's first libdune program: enter Dune mode, page faults. */
#include <libdune.h>
#include <stdio.h>

static void pgflt(uintptr_t addr, uint64_t fec, struct dune_tf *tf)
{
	dune_vm_map_pages(dune_pgroot, (void *)(addr & ~0xfffUL), 4096, DUNE_PERM_R | DUNE_PERM_W);
}

int main(void)
{
	volatile int *p = (int *)0x500000000000;	/* no memory there, yet */

	if (dune_init_and_enter())
		return 1;
	dune_register_pgflt_handler(pgflt);
	*p = 42;					/* faults; pgflt maps a page */
	printf("hello from ring 0: *p = %d\n", *p);
	return 0;
}
