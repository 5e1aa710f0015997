/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Trace events: /sys/kernel/tracing/events/dune/.
 *   dune_entry  a VM entry (vpid, guest RIP)
 *   dune_exit   a VM exit (vpid, VMX exit reason, guest RIP, qualification)
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM dune

#if !defined(DUNE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define DUNE_TRACE_H

#include <linux/tracepoint.h>
#include <asm/vmx.h>

TRACE_EVENT(dune_entry,
	TP_PROTO(u16 vpid, u64 rip),
	TP_ARGS(vpid, rip),
	TP_STRUCT__entry(
		__field(u16, vpid)
		__field(u64, rip)
	),
	TP_fast_assign(
		__entry->vpid = vpid;
		__entry->rip = rip;
	),
	TP_printk("vpid %u rip 0x%llx", __entry->vpid, __entry->rip)
);

TRACE_EVENT(dune_exit,
	TP_PROTO(u16 vpid, u32 reason, u64 rip, u64 qual),
	TP_ARGS(vpid, reason, rip, qual),
	TP_STRUCT__entry(
		__field(u16, vpid)
		__field(u32, reason)
		__field(u64, rip)
		__field(u64, qual)
	),
	TP_fast_assign(
		__entry->vpid = vpid;
		__entry->reason = reason;
		__entry->rip = rip;
		__entry->qual = qual;
	),
	TP_printk("vpid %u reason %s rip 0x%llx qual 0x%llx", __entry->vpid,
		  __print_symbolic(__entry->reason & 0xffff, VMX_EXIT_REASONS),
		  __entry->rip, __entry->qual)
);

#endif

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
