/* descriptor.c - adopting the tables plugins export; see descriptor.h. */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "descriptor.h"
#include "rk-error.h"

/* A plugin's table is a module's table (rk_module_table reads it). */
_Static_assert(offsetof(rk_plugin, abi_version)
	       == offsetof(rk_module_header, abi_version)
	       && offsetof(rk_plugin, struct_size)
	       == offsetof(rk_module_header, struct_size),
	       "rk_plugin starts as rk_module_header");

rk_error rk_struct_adopt(const char *what, rk_error err, uint32_t size,
			 size_t v1, const void *src, void *ours, size_t cap)
{
	if (size < v1)
		return rk_fail(err, "%s is %u bytes, smaller than any "
			       "release's (%zu)", what, size, v1);
	for (size_t i = cap; i < size; i++)
		if (((const unsigned char *)src)[i] != 0)
			return rk_fail(err, "%s is %u bytes and sets "
				       "fields past the %zu this libringkernel "
				       "knows: it needs a newer one", what,
				       size, cap);
	memcpy(ours, src, size < cap ? size : cap);
	return RK_OK;
}

/* A table a plugin exports: its ABI version, then its size. */
static rk_error adopt(const char *what, uint32_t abi, uint32_t size,
		      size_t v1, const void *src, void *ours, size_t cap)
{
	if (abi != RK_PLUGIN_ABI_VERSION)
		return rk_fail(RK_EPLUGIN, "%s ABI version %u, expected %u",
			       what, abi, RK_PLUGIN_ABI_VERSION);
	memset(ours, 0, cap);
	return rk_struct_adopt(what, RK_EPLUGIN, size, v1, src, ours, cap);
}

rk_error rk_desc_adopt(const rk_kernel_desc *d, struct rk_adopted_desc *out)
{
	rk_error rc;

	if (!d)
		return rk_fail(RK_EINVAL, "no kernel descriptor");
	rc = adopt("kernel descriptor", d->abi_version, d->struct_size,
		   RK_KERNEL_DESC_SIZE_V1, d, &out->desc, sizeof(out->desc));
	if (rc != RK_OK || !out->desc.device)
		return rc;
	const rk_device_kernel *dk = out->desc.device;
	rc = adopt("device kernel descriptor", dk->abi_version,
		   dk->struct_size, RK_DEVICE_KERNEL_SIZE_V1, dk, &out->device,
		   sizeof(out->device));
	out->desc.device = rc == RK_OK ? &out->device : NULL;
	return rc;
}

rk_error rk_plugin_adopt(const rk_plugin *p, rk_plugin *out)
{
	return adopt("plugin", p->abi_version, p->struct_size,
		     RK_PLUGIN_SIZE_V1, p, out, sizeof(*out));
}
