// SPDX-License-Identifier: BSD-3-Clause
/*
 * attack_net - reach the network from the sandboxed program.
 *
 *   attack_net OP ADDR PORT
 *
 * OP: connect (TCP; gives up after 3 s with EINPROGRESS), sendto (UDP, one datagram), sendmsg (UDP, the
 * address in msg_name), bind (TCP), bind-udp.  ADDR: an IPv4 or IPv6
 * literal.  Prints "attack_net OP ADDR:PORT: trying", then
 * "attack_net OP ADDR:PORT: ok" or "... -1 ERRNO-NAME"; exit 0 (1 if the
 * socket itself could not be made).  Under "net none" every OP must give
 * EACCES; natively (the emulated machine has only loopback) connect to
 * 127.0.0.1:9 gives ECONNREFUSED, to 10.0.0.1 ENETUNREACH.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
#define E(x) case x: return #x;
	E(EPERM) E(EACCES) E(EINVAL) E(EFAULT) E(EAGAIN) E(EINPROGRESS) E(ECONNREFUSED)
	E(ENETUNREACH) E(EHOSTUNREACH) E(EADDRNOTAVAIL) E(EADDRINUSE) E(ETIMEDOUT)
	E(ENOTCONN) E(EAFNOSUPPORT) E(ENOSYS) E(EDESTADDRREQ) E(EBADF)
#undef E
	}
	return "E?";
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	const char *op;
	int fd, udp, fam;
	long r;

	if (argc != 4) {
		fprintf(stderr, "usage: attack_net connect|sendto|sendmsg|bind|bind-udp ADDR PORT\n");
		return 2;
	}
	op = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[2], &s4->sin_addr) == 1) {
		fam = AF_INET;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(atoi(argv[3]));
		len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[2], &s6->sin6_addr) == 1) {
		fam = AF_INET6;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(atoi(argv[3]));
		len = sizeof(*s6);
	} else {
		fprintf(stderr, "attack_net: bad address '%s'\n", argv[2]);
		return 2;
	}
	udp = !strcmp(op, "sendto") || !strcmp(op, "sendmsg") || !strcmp(op, "bind-udp");
	printf("attack_net %s %s:%s: trying\n", op, argv[2], argv[3]);
	fd = socket(fam, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0) {
		printf("attack_net: socket: -1 %s\n", ename(errno));
		return 1;
	}
	{	/* connect gives up (EINPROGRESS) after 3 s */
		struct timeval tv = { 3, 0 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (!strcmp(op, "connect")) {
		r = connect(fd, (struct sockaddr *)&ss, len);
	} else if (!strcmp(op, "sendto")) {
		r = sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len);
	} else if (!strcmp(op, "sendmsg")) {
		struct iovec iov = { "x", 1 };
		struct msghdr m = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov,
				    .msg_iovlen = 1 };

		r = sendmsg(fd, &m, 0);
	} else if (!strcmp(op, "bind") || !strcmp(op, "bind-udp")) {
		r = bind(fd, (struct sockaddr *)&ss, len);
	} else {
		fprintf(stderr, "attack_net: unknown op '%s'\n", op);
		return 2;
	}
	if (r < 0)
		printf("attack_net %s %s:%s: -1 %s\n", op, argv[2], argv[3], ename(errno));
	else
		printf("attack_net %s %s:%s: ok\n", op, argv[2], argv[3]);
	close(fd);
	return 0;
}
