/* SPDX-License-Identifier: BSD-3-Clause */
/* path.h - path resolution for the sandbox's policy checks (path.c). */
#ifndef SANDBOX_PATH_H
#define SANDBOX_PATH_H

#include <stdbool.h>

/*
 * sb_resolve - @path resolved as the kernel resolves it, into @out
 * (PATH_MAX bytes): relative paths against the absolute directory @base;
 * every symlink followed (the last component only if @follow), "." skipped
 * and ".." taken on the already resolved prefix (so "link/.." is the
 * link's target's parent, as for the kernel); components that do not exist
 * are kept as given.  The result is absolute, without "." / ".." / "//"
 * or a trailing '/'.  Returns 0, -ENOENT (empty path, or a symlink that
 * cannot be read), -ELOOP (more than 40 links), -ENAMETOOLONG, or -EINVAL
 * (@base not absolute, for a relative @path).
 */
int sb_resolve(const char *base, const char *path, bool follow, char *out);

#endif /* SANDBOX_PATH_H */
