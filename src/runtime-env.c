/* runtime-env.c - see runtime-env.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse-args.h"
#include "runtime-env.h"

/* The value of name, or NULL where it is unset or empty. */
static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static bool count_of(const char *name, unsigned long long max, bool zero_ok,
		     unsigned long long *out, char *why, size_t cap)
{
	const char *v = env(name);

	if (!v)
		return true;
	if (!parse_count(v, max, zero_ok, out)) {
		snprintf(why, cap, "%s=%s: not a whole number in %d..%llu",
			 name, v, zero_ok ? 0 : 1, max);
		return false;
	}
	return true;
}

bool runtime_options_from_env(rk_runtime_options *o, char *why, size_t cap)
{
	unsigned long long n;
	const char *v;

	n = o->spin_ns;
	if (!count_of("RK_SPIN_NS", 1000000000ULL, true, &n, why, cap))
		return false;
	o->spin_ns = (uint32_t)n;
	if ((v = env("RK_CUDA_MODULE")))
		o->cuda_module = v;
	n = (unsigned long long)o->cuda_device;
	if (!count_of("RK_CUDA_DEVICE", 1023, true, &n, why, cap))
		return false;
	o->cuda_device = (int)n;
	n = o->device_pool_mb;
	if (!count_of("RK_CUDA_POOL_MB", 1u << 20, false, &n, why, cap))
		return false;
	o->device_pool_mb = (uint32_t)n;
	if ((v = env("RK_DEVICE_TIMEOUT"))
	    && (!parse_seconds(v, &o->device_timeout_s)
		|| o->device_timeout_s <= 0)) {
		snprintf(why, cap, "RK_DEVICE_TIMEOUT=%s: not a number of "
			 "seconds above 0", v);
		return false;
	}
	if ((v = env("RK_DEVICE_LINKS"))) {
		if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
			snprintf(why, cap, "RK_DEVICE_LINKS=%s: 0 (every edge "
				 "through the host) or 1", v);
			return false;
		}
		o->no_device_links = strcmp(v, "0") == 0;
	}
	return true;
}
