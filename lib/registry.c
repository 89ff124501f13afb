/* registry.c - the runtime's registry of kernel descriptors: checking a
 * descriptor, registering an adopted copy, finding one by name. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "descriptor.h"
#include "device.h"
#include "names.h"
#include "params.h"
#include "registry.h"
#include "rk-error.h"
#include "types.h"

/* The checks of a descriptor adopted (descriptor.h). */
rk_error rk_kernel_desc_check_adopted(const rk_kernel_desc *d)
{
	char shown[80];
	rk_error rc;

	if (!d->name || !*d->name)
		return rk_fail(RK_EPLUGIN, "kernel descriptor has no name");
	if (!rk_plain_name(d->name, ""))
		return rk_fail(RK_EPLUGIN, "kernel name '%s' has characters "
			       "other than letters, digits, '_', '.' and '-'",
			       rk_escape(shown, sizeof(shown), d->name,
					 strlen(d->name)));
	if (!d->process && !d->process_batch && !d->main)
		return rk_fail(RK_EPLUGIN,
			       "kernel '%s' has no process, process_batch or main",
			       d->name);
	if ((rc = rk_type_check(d->name, "input", d->input_type)) != RK_OK
	    || (rc = rk_type_check(d->name, "output", d->output_type)) != RK_OK)
		return rc;
	return rk_params_check_declared(d);
}

rk_error rk_kernel_desc_check(const rk_kernel_desc *d)
{
	struct rk_adopted_desc a;
	rk_error rc = rk_desc_adopt(d, &a);

	return rc != RK_OK ? rc : rk_kernel_desc_check_adopted(&a.desc);
}

/* The registry's copy of d (d itself, or the plugin's table it was
 * adopted from), or NULL where d is not registered. */
const rk_kernel_desc *rk_registered_locked(rk_runtime *rt,
					  const rk_kernel_desc *d)
{
	for (size_t i = 0; i < rt->n_registry; i++)
		if (rt->registry[i].desc == d || rt->registry[i].orig == d)
			return rt->registry[i].desc;
	return NULL;
}

void rk_registry_clear_locked(rk_runtime *rt)
{
	for (size_t i = 0; i < rt->n_registry; i++)
		free(rt->registry[i].adopted);
	rt->n_registry = 0;
}

rk_error rk_registry_add_locked(rk_runtime *rt, const rk_kernel_desc *desc,
				const char *plugin, bool keep_first)
{
	struct rk_adopted_desc *a = malloc(sizeof(*a));
	rk_error rc;

	if (!a)
		return rk_fail(RK_ENOMEM, "out of memory");
	if ((rc = rk_desc_adopt(desc, a)) != RK_OK) {
		free(a);
		return rc;
	}
	for (size_t i = 0; i < rt->n_registry; i++) {
		if (strcmp(rt->registry[i].desc->name, a->desc.name) == 0) {
			free(a);
			if (keep_first)
				return RK_OK;
			return rk_fail(RK_EINVAL,
				       "kernel '%s' is already registered",
				       desc->name);
		}
	}
	if (rt->n_registry == rt->cap_registry) {
		size_t cap = rt->cap_registry ? 2 * rt->cap_registry : 16;
		struct rk_registered *r = realloc(rt->registry,
						  cap * sizeof(*r));
		if (!r) {
			free(a);
			return rk_fail(RK_ENOMEM, "out of memory");
		}
		rt->registry = r;
		rt->cap_registry = cap;
	}
	rt->registry[rt->n_registry++] = (struct rk_registered){
		.desc = &a->desc, .orig = desc, .adopted = a, .plugin = plugin,
	};
	return RK_OK;
}

rk_error rk_register_kernel(rk_runtime *rt, const rk_kernel_desc *desc)
{
	rk_error rc = rk_kernel_desc_check(desc);

	if (rc != RK_OK)
		return rc;
	pthread_rwlock_wrlock(&rt->lock);
	rc = rk_registry_add_locked(rt, desc, NULL, false);
	pthread_rwlock_unlock(&rt->lock);
	if (rc == RK_OK)
		rk_devices_registered(rt);
	return rc;
}

const rk_kernel_desc *rk_find_kernel(rk_runtime *rt, const char *name)
{
	const rk_kernel_desc *found = NULL;

	pthread_rwlock_rdlock(&rt->lock);
	for (size_t i = 0; i < rt->n_registry && !found; i++)
		if (strcmp(rt->registry[i].desc->name, name) == 0)
			found = rt->registry[i].desc;
	pthread_rwlock_unlock(&rt->lock);
	return found;
}

const rk_kernel_desc *rk_registered_kernel(rk_runtime *rt, size_t i,
					   const char **plugin)
{
	const rk_kernel_desc *d = NULL;

	pthread_rwlock_rdlock(&rt->lock);
	if (i < rt->n_registry) {
		d = rt->registry[i].desc;
		if (plugin)
			*plugin = rt->registry[i].plugin;
	}
	pthread_rwlock_unlock(&rt->lock);
	return d;
}

const char *rk_registry_plugin_locked(rk_runtime *rt,
				      const rk_kernel_desc *desc)
{
	for (size_t i = 0; i < rt->n_registry; i++)
		if (rt->registry[i].desc == desc)
			return rt->registry[i].plugin;
	return NULL;
}
