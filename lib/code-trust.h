/* code-trust.h - loading code (plugins, GPU modules, the CUDA backend,
 * the MPI transport) only from files no other user could have written.
 *
 * The rule is that of OpenSSH's StrictModes, applied to every step of
 * the path, symbolic links included, with one exception: each directory
 * from / down belongs to root or to us and is writable by no one else
 * unless it is sticky (/tmp: there no one else can rename or remove
 * what is ours); the file itself is a regular file of root or us,
 * writable by no one else.  Nothing is taken from a FUSE file system,
 * whose owners and modes its mounter makes up.  The walk opens each step relative to the
 * directory it checked before, and the file is loaded through the very
 * descriptor that was checked (/proc/self/fd/N), so renaming a path's
 * parts while it is checked changes nothing. */
#ifndef RK_CODE_TRUST_H
#define RK_CODE_TRUST_H

#include "ringkernel.h"

/* *handle = dlopen(path, flags) of a trusted file.  On failure `err`
 * (RK_ENOTFOUND where a name is missing), the reason naming path in
 * rk_errmsg().  With `canonical`, the path as walked (no symbolic
 * links, "." or "..") in malloc'd memory.  The descriptor stays open
 * while the object is loaded, one per file: glibc knows the object by
 * its name, /proc/self/fd/N.  So $ORIGIN in the file's RUNPATH is
 * /proc/self/fd, not its directory, and dladdr() names that. */
rk_error rk_dlopen_trusted(const char *path, int flags, rk_error err,
			   void **handle, char **canonical);

/* dlclose(handle) of rk_dlopen_trusted's, closing the file's kept
 * descriptor once nothing is loaded from it any more. */
void rk_dlclose_trusted(void *handle);

/* The check alone: RK_OK when path may be loaded; otherwise `err`,
 * with the reason.  With `canonical`, as for rk_dlopen_trusted. */
rk_error rk_check_trusted(const char *path, rk_error err, char **canonical);

#endif /* RK_CODE_TRUST_H */
