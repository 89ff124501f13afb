/* python-kernels.h - a .py file on the plugin path as a kernel of its
 * own name: its header (comment lines at its top, as
 * python/ringkernel/kernel_header.py reads them too) made into a
 * one-kernel table whose functions are those of the python or
 * python-actor kernel (kernels/python.c), the file its `file`
 * parameter's default. */
#ifndef RK_PYTHON_KERNELS_H
#define RK_PYTHON_KERNELS_H

#include <stdbool.h>

#include "ringkernel.h"

/* Lines of a file read for its header. */
#define RK_PY_HEADER_LINES 64

/* Which kernel runs the file: "python-actor" where it defines
 * `async def main(`, else "python".  NULL (RK_ENOTFOUND in *rc) when it
 * has no "#: kernel: NAME" line: a helper module, not a kernel. */
const char *rk_py_runner(const char *path, rk_error *rc);

/* The file's table, one block (free() frees it all): the kernel its
 * header declares, with runner's functions and a `file` parameter whose
 * default is `path`.  RK_EPLUGIN, naming the file, for a bad header. */
rk_error rk_py_table(const char *path, const rk_kernel_desc *runner,
		     rk_plugin **out);

#endif /* RK_PYTHON_KERNELS_H */
