/* descriptor.h - the tables plugins export (rk_plugin, rk_kernel_desc,
 * rk_device_kernel) and the options callers pass, as this library reads
 * them: each may come from a program built against any release of the
 * header since the first, so it is copied into one of this library's
 * size, the fields it did not have yet zero (or their defaults), as
 * nbdkit does with its plugins' tables. */
#ifndef RK_DESCRIPTOR_H
#define RK_DESCRIPTOR_H

#include "ringkernel.h"

/* The sizes of the first release: a table this size or larger loads. */
#define RK_PLUGIN_SIZE_V1 \
	(offsetof(rk_plugin, kernels) + sizeof(void *))
#define RK_KERNEL_DESC_SIZE_V1 \
	(offsetof(rk_kernel_desc, device) + sizeof(void *))
#define RK_DEVICE_KERNEL_SIZE_V1 \
	(offsetof(rk_device_kernel, errors) + sizeof(void *))

#define RK_RUNTIME_OPTIONS_SIZE_V1 \
	(offsetof(rk_runtime_options, no_device_links) + sizeof(int))
#define RK_LAUNCH_OPTIONS_SIZE_V1 \
	(offsetof(rk_launch_options, replicas) + sizeof(uint32_t))

/* Copy `size` bytes of a caller's struct at src over ours (`cap`
 * bytes, filled before with zero or defaults), or fail with err where
 * it is smaller than the first release's (v1), or larger and sets
 * bytes this library does not know. */
rk_error rk_struct_adopt(const char *what, rk_error err, uint32_t size,
			 size_t v1, const void *src, void *ours, size_t cap);

/* A kernel descriptor and its device form, adopted.  desc.device
 * points into the struct itself: it is not moved once filled. */
struct rk_adopted_desc {
	rk_kernel_desc desc;
	rk_device_kernel device;
};

/* Copy d into out, or fail (RK_EPLUGIN) where its ABI version is
 * another, it is smaller than the first release's, or it is larger and
 * sets fields this library does not know. */
rk_error rk_desc_adopt(const rk_kernel_desc *d, struct rk_adopted_desc *out);

/* The same for a plugin's table. */
rk_error rk_plugin_adopt(const rk_plugin *p, rk_plugin *out);

#endif /* RK_DESCRIPTOR_H */
