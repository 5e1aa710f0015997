// SPDX-License-Identifier: GPL-2.0
/*
 * serialcat: copy standard input to the first serial port (0x3f8) of the
 * emulated machine by polling the UART, without the kernel's tty driver.
 *
 * The rig's guest writes everything it reports through this.  The 8250 tty
 * driver depends on the UART's transmit interrupt, and under Bochs that
 * interrupt was seen to get lost (with a KVM guest running), after which
 * the tty silently discarded what it still held when the port was closed.
 * Polling the line-status register, as the kernel's own console code does,
 * cannot lose output.  The kernel must not use this port itself (its
 * console is on the second port) and nothing may open /dev/ttyS0.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

#define PORT 0x3f8
#define THR 0		/* transmit holding register */
#define IER 1		/* interrupt enable */
#define FCR 2		/* FIFO control */
#define LCR 3		/* line control */
#define MCR 4		/* modem control */
#define LSR 5		/* line status */
#define LSR_THRE 0x20

int main(void)
{
	unsigned char buf[4096];
	ssize_t n, i;

	if (ioperm(PORT, 8, 1)) {
		fprintf(stderr, "serialcat: ioperm(0x%x): %s\n", PORT, strerror(errno));
		return 1;
	}
	outb(0x00, PORT + IER);		/* no interrupts: we poll */
	outb(0x80, PORT + LCR);		/* divisor latch: 115200 baud */
	outb(0x01, PORT + 0);
	outb(0x00, PORT + 1);
	outb(0x03, PORT + LCR);		/* 8N1 */
	outb(0x07, PORT + FCR);		/* FIFOs on and cleared */
	outb(0x03, PORT + MCR);		/* DTR, RTS */
	for (;;) {
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			while (!(inb(PORT + LSR) & LSR_THRE))
				;
			outb(buf[i], PORT + THR);
		}
	}
	while (!(inb(PORT + LSR) & 0x40))	/* transmitter empty */
		;
	return 0;
}
