// SPDX-License-Identifier: BSD-3-Clause
/*
 * util.c - the library's messages: "libdune: " + text on stderr, formatted
 * into a stack buffer and written with one write() (no stdio lock, so a
 * fault report can be printed from a handler that interrupted printf).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

void dune_vprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = 0, m;

	/* Continuation lines (starting with a blank) get no prefix. */
	if (fmt[0] != ' ' && fmt[0] != '\n')
		n = snprintf(buf, sizeof(buf), "libdune: ");
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	while (n > 0) {
		ssize_t w = write(2, buf, n);

		if (w <= 0)
			break;
		memmove(buf, buf + w, n - w);
		n -= w;
	}
}

void dune_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dune_vprintf(fmt, ap);
	va_end(ap);
}
