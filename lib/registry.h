/* registry.h - the runtime's registry of kernel descriptors
 * (rt->registry, under rt->lock). */
#ifndef RK_REGISTRY_H
#define RK_REGISTRY_H

#include <stdbool.h>

#include "runtime.h"

/* A descriptor a runtime accepts: ABI, name, an entry point, types. */
rk_error rk_kernel_desc_check(const rk_kernel_desc *d);

/* Register a copy of d (descriptor.h) under rt->lock (write); a name
 * taken is an error, or with keep_first silently left to its first
 * kernel. */
rk_error rk_registry_add_locked(rk_runtime *rt, const rk_kernel_desc *d,
				const char *plugin, bool keep_first);

/* Forget every registered kernel (rt->lock held, or no other thread). */
void rk_registry_clear_locked(rk_runtime *rt);

/* The checks of a descriptor already adopted (descriptor.h). */
rk_error rk_kernel_desc_check_adopted(const rk_kernel_desc *d);

/* The registry's copy of d (d itself, or the plugin's table it was
 * adopted from), or NULL where d is not registered.  Under rt->lock. */
const rk_kernel_desc *rk_registered_locked(rk_runtime *rt,
					  const rk_kernel_desc *d);

/* The plugin file a registered descriptor came from; NULL for an
 * in-process kernel.  Under rt->lock. */
const char *rk_registry_plugin_locked(rk_runtime *rt,
				      const rk_kernel_desc *desc);

#endif /* RK_REGISTRY_H */
