/* descriptor.h - the tables plugins export (rk_plugin, rk_kernel_desc,
 * rk_device_kernel), as this library reads them: each may come from a
 * plugin built against any release of the header since the first, so
 * it is copied into one of this library's size, the fields it did not
 * have yet zero, as nbdkit does with its plugins' tables. */
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
