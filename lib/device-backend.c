/* device-backend.c - the device as the runtime knows it: the backend
 * probed and chosen, the kernels' GPU modules, the memory pools carved
 * for actors and links, and the device's part of the telemetry. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "code-trust.h"
#include "device-host.h"
#include "device.h"
#include "rk-error.h"
#include "runtime.h"

static struct rk_devices *devices_of(rk_runtime *rt)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;

	pthread_mutex_lock(&once);
	if (!rt->devices) {
		struct rk_devices *d = calloc(1, sizeof(*d));
		if (d) {
			pthread_mutex_init(&d->lock, NULL);
			pthread_mutex_init(&d->preload_lock, NULL);
			__atomic_store_n(&rt->devices, d, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_unlock(&once);
	return rt->devices;
}

static void set_why(struct rk_devices *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_why(struct rk_devices *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->status = RK_EBACKEND;
}

/* The emulated device's memory is the host's heap, taken once and
 * carved as a GPU's is: the pools, and the rule never to free them
 * under a kernel that runs, are tested without a GPU. */
static int emulated_alloc(size_t bytes, void **host, void **device,
			  char *why, size_t len)
{
	*host = *device = aligned_alloc(RK_CACHE_LINE, rk_whole_lines(bytes));
	if (!*host) {
		snprintf(why, len, "out of memory for the emulated device");
		return 1;
	}
	return 0;
}

static void emulated_release(void *host)
{
	free(host);
}

static int emulated_device_alloc(size_t bytes, void **device, char *why,
				 size_t len)
{
	void *host;

	return emulated_alloc(bytes, &host, device, why, len);
}

static int emulated_fill(void *device, size_t bytes, const void *init,
			 size_t init_bytes, char *why, size_t len)
{
	(void)why;
	(void)len;
	memset(device, 0, bytes);
	memcpy(device, init, init_bytes);
	return 0;
}

/* Loops are started and stopped as host threads (device-actor.c). */
static const rk_backend_ops emulated_ops = {
	.abi = RK_BACKEND_ABI,
	.struct_size = sizeof(rk_backend_ops),
	.alloc = emulated_alloc,
	.release = emulated_release,
	.device_alloc = emulated_device_alloc,
	.device_release = emulated_release,
	.device_fill = emulated_fill,
};

/* RK_CUDA_EMULATE=N: a pretend device with room for N persistent
 * kernels, run by host threads.  RK_CUDA_EMULATE_WATCHDOG=1: one whose
 * kernels a watchdog would end, as a display's GPU. */
static bool probe_emulated(struct rk_devices *d)
{
	const char *e = getenv("RK_CUDA_EMULATE");
	if (!e || !*e)
		return false;
	long n = strtol(e, NULL, 10);
	d->emulated = true;
	d->ops = &emulated_ops;
	snprintf(d->info.name, sizeof(d->info.name),
		 "emulated device (host threads)");
	d->info.multiprocessors = n > 0 ? (int)n : 64;
	/* As a GPU's hardware queues, where the variable says. */
	const char *c = getenv("CUDA_DEVICE_MAX_CONNECTIONS");
	if (c && *c) {
		d->info.connections = (int)strtol(c, NULL, 10);
		d->info.max_kernels = d->info.connections > 1
				      ? d->info.connections - 1 : 1;
	}
	const char *w = getenv("RK_CUDA_EMULATE_WATCHDOG");
	d->info.watchdog = w && *w && strcmp(w, "0") != 0;
	d->status = RK_OK;
	return true;
}

/* The backend's and a GPU form's tables are modules' tables. */
_Static_assert(offsetof(rk_backend_ops, struct_size)
	       == offsetof(rk_module_header, struct_size),
	       "rk_backend_ops starts as rk_module_header");
_Static_assert(offsetof(rk_cuda_kernel, struct_size)
	       == offsetof(rk_module_header, struct_size),
	       "rk_cuda_kernel starts as rk_module_header");

static void probe_module(rk_runtime *rt, struct rk_devices *d)
{
	const char *path = rt->opts.cuda_module;
	char why[200];

	if (!path || !*path)
		path = RK_PKGLIBDIR "/" RK_BACKEND_MODULE;
	/* Trusted as a plugin is: it runs with our rights. */
	rk_error rc = rk_dlopen_trusted(path, RTLD_NOW | RTLD_LOCAL,
					RK_EBACKEND, &d->module, NULL);
	if (rc == RK_ENOTFOUND) {
		set_why(d, "the CUDA backend is not installed (%s)",
			rk_errmsg());
		return;
	}
	if (rc != RK_OK) {
		set_why(d, "%s", rk_errmsg());
		return;
	}
	const void *ops;
	if (rk_module_table(d->module, path, "a CUDA backend of this "
			    "version", RK_BACKEND_SYMBOL, RK_BACKEND_ABI,
			    sizeof(rk_backend_ops), &ops) != RK_OK) {
		set_why(d, "%s", rk_errmsg());
		return;
	}
	d->ops = ops;
	if (d->ops->probe(rt->opts.cuda_device, &d->info, why,
			  sizeof(why)) != 0) {
		set_why(d, "%s", why);
		return;
	}
	d->status = RK_OK;
}

/* Batches in flight per kernel: RK_DEVICE_WINDOW (1 to DEVICE_WINDOW)
 * says fewer, to measure what the window brings. */
static uint32_t window_size(void)
{
	const char *e = getenv("RK_DEVICE_WINDOW");
	long n = e && *e ? strtol(e, NULL, 10) : DEVICE_WINDOW;

	return n >= 1 && n <= DEVICE_WINDOW ? (uint32_t)n : DEVICE_WINDOW;
}

struct rk_devices *rk_devices_probe(rk_runtime *rt)
{
	struct rk_devices *d = devices_of(rt);

	if (!d)
		return NULL;
	pthread_mutex_lock(&d->lock);
	if (!d->probed) {
		d->timeout_s = rt->opts.device_timeout_s > 0
			       ? rt->opts.device_timeout_s : DEVICE_TIMEOUT_S;
		d->pool_mb = rt->opts.device_pool_mb ? rt->opts.device_pool_mb
						     : POOL_MB;
		d->window = window_size();
		d->probed = true;
		if (!probe_emulated(d))
			probe_module(rt, d);
		/* A kernel that never ends would be killed by the watchdog:
		 * a bounded loop, launched again as work comes.
		 * RK_DEVICE_RELAUNCH=1 asks for it anywhere, to test it on
		 * a GPU without a watchdog. */
		const char *r = getenv("RK_DEVICE_RELAUNCH");
		d->relaunch = d->status == RK_OK
			      && (d->info.watchdog
				  || (r && *r && strcmp(r, "0") != 0));
	}
	pthread_mutex_unlock(&d->lock);
	return d;
}

rk_error rk_device_available(rk_runtime *rt)
{
	struct rk_devices *d = rk_devices_probe(rt);

	if (!d)
		return rk_fail(RK_ENOMEM, "out of memory");
	if (d->status != RK_OK)
		return rk_fail(RK_EBACKEND, "%s", d->why);
	return RK_OK;
}

rk_error rk_device_pick(rk_runtime *rt, const char *id,
			const rk_kernel_desc *desc, rk_backend asked,
			rk_backend *use)
{
	*use = RK_BACKEND_CPU;
	if (asked == RK_BACKEND_CPU)
		return RK_OK;
	if (!desc->device || !desc->device->host_loop) {
		if (asked == RK_BACKEND_AUTO)
			return RK_OK;
		return rk_fail(RK_EBACKEND, "kernel '%s': %s has no device "
			       "form, so it cannot run on the cuda backend",
			       id, desc->name);
	}
	struct rk_devices *d = rk_devices_probe(rt);
	if (!d)
		return rk_fail(RK_ENOMEM, "out of memory");
	if (d->status != RK_OK) {
		if (asked == RK_BACKEND_AUTO)
			return RK_OK;
		return rk_fail(RK_EBACKEND, "kernel '%s': %s", id, d->why);
	}
	if (!d->emulated && !desc->device->cuda_module) {
		if (asked == RK_BACKEND_AUTO)
			return RK_OK;
		return rk_fail(RK_EBACKEND, "kernel '%s': %s has no GPU module",
			       id, desc->name);
	}
	/* Before the launch takes the runtime's lock. */
	rk_devices_preload(rt, d);
	*use = RK_BACKEND_CUDA;
	return RK_OK;
}

/* ---- the kernels' GPU modules ----------------------------------- */

/* Open a kernel's GPU module: in the directory cuda/ beside its plugin
 * (`plugin`, or NULL for an in-process kernel), where the plugin search
 * does not look, so `ringctl kernels` never takes it for a broken
 * plugin; where there is none there, beside the plugin.  A module is
 * trusted as a plugin is, or refused.  NULL, with the reason in
 * rk_errmsg(), if it cannot be opened. */
void *rk_device_open_module(const rk_device_kernel *dk, const char *plugin,
			    char *path, size_t len)
{
	void *module;

	if (strchr(dk->cuda_module, '/') || !plugin) {
		snprintf(path, len, "%s%s", dk->cuda_module,
			 strchr(dk->cuda_module, '.') ? "" : ".so");
	} else {
		const char *slash = strrchr(plugin, '/');
		int dir = slash ? (int)(slash - plugin) : 1;
		const char *base = slash ? plugin : ".";

		snprintf(path, len, "%.*s/cuda/%s.so", dir, base,
			 dk->cuda_module);
		if (access(path, F_OK) != 0)
			snprintf(path, len, "%.*s/%s.so", dir, base,
				 dk->cuda_module);
		/* In a build tree libtool keeps the plugin in .libs, the
		 * GPU module beside .libs. */
		char *libs = strstr(path, "/.libs/");
		if (libs && access(path, F_OK) != 0)
			memmove(libs, libs + 6, strlen(libs + 6) + 1);
	}
	if (rk_dlopen_trusted(path, RTLD_NOW | RTLD_LOCAL, RK_EBACKEND,
			      &module, NULL) != RK_OK)
		return NULL;
	return module;
}

/* Loading a kernel while another runs may wait for the work on the
 * device (CUDA's lazy loading guide, "concurrent execution"), and a
 * persistent kernel never finishes.  So before the first one starts,
 * every registered kernel's GPU form is opened and its function loaded
 * (asking its occupancy loads it), and kept open; and a plugin
 * registered after that is loaded at once, not when its kernel starts
 * among running ones.  Never under the runtime's lock: a load that
 * waits for the device must not stop every other call with it. */

/* Open and load one kernel's GPU form (d->preload_lock held). */
static void preload_one(struct rk_devices *d, const rk_device_kernel *dk,
			const char *plugin)
{
	char path[4096];
	const void *table = NULL;

	for (size_t i = 0; i < d->n_modules; i++)
		if (d->loaded[i] == dk)
			return;
	void **modules = realloc(d->modules, (d->n_modules + 1)
				 * sizeof(*modules));
	if (modules)
		d->modules = modules;
	const rk_device_kernel **loaded = realloc(d->loaded, (d->n_modules + 1)
						  * sizeof(*loaded));
	if (loaded)
		d->loaded = loaded;
	if (!modules || !loaded)
		return;                 /* its launch loads it, or says why */
	void *module = rk_device_open_module(dk, plugin, path, sizeof(path));
	if (module)
		rk_module_table(module, path, "the kernel's GPU form",
				dk->cuda_symbol, RK_DEVICE_ABI,
				sizeof(rk_cuda_kernel), &table);
	const rk_cuda_kernel *ck = table;
	if (ck) {
		int blocks;
		ck->blocks_per_sm(dk->threads ? dk->threads : DEFAULT_THREADS,
				  &blocks);
	} else if (module) {
		rk_dlclose_trusted(module);
		module = NULL;          /* its launch will say why */
	}
	/* Tried once, kept or not. */
	d->loaded[d->n_modules] = dk;
	d->modules[d->n_modules++] = module;
}

void rk_devices_preload(rk_runtime *rt, struct rk_devices *d)
{
	struct { const rk_device_kernel *dk; const char *plugin; } *todo;
	size_t n = 0;

	if (d->emulated || d->status != RK_OK)
		return;
	/* What is registered now; descriptors and plugin paths stay until
	 * the runtime is freed. */
	pthread_rwlock_rdlock(&rt->lock);
	todo = calloc(rt->n_registry + 1, sizeof(*todo));
	for (size_t i = 0; todo && i < rt->n_registry; i++) {
		const rk_device_kernel *dk = rt->registry[i].desc->device;
		if (dk && dk->cuda_module && dk->cuda_symbol)
			todo[n++] = (__typeof__(*todo)){ dk,
							 rt->registry[i].plugin };
	}
	pthread_rwlock_unlock(&rt->lock);
	pthread_mutex_lock(&d->preload_lock);
	for (size_t i = 0; i < n; i++)
		preload_one(d, todo[i].dk, todo[i].plugin);
	__atomic_store_n(&d->preloaded, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&d->preload_lock);
	free(todo);
}

void rk_devices_registered(rk_runtime *rt)
{
	struct rk_devices *d = __atomic_load_n(&rt->devices, __ATOMIC_ACQUIRE);

	if (d && __atomic_load_n(&d->preloaded, __ATOMIC_ACQUIRE))
		rk_devices_preload(rt, d);
}

bool rk_devices_pools_ready(struct rk_devices *d, char *why, size_t len)
{
	size_t bytes = (size_t)d->pool_mb << 20;

	if (d->actor_pool)
		return true;
	if (d->ops->alloc(bytes, (void **)&d->actor_host,
			  (void **)&d->actor_device, why, len) != 0)
		return false;
	if (d->ops->device_alloc(bytes, (void **)&d->link_device, why,
				 len) != 0) {
		d->ops->release(d->actor_host);
		return false;
	}
	d->actor_pool = rk_pool_new(bytes, RK_CACHE_LINE);
	d->link_pool = rk_pool_new(bytes, RK_CACHE_LINE);
	if (!d->actor_pool || !d->link_pool) {
		rk_pool_free(d->actor_pool);
		rk_pool_free(d->link_pool);
		d->actor_pool = d->link_pool = NULL;
		d->ops->release(d->actor_host);
		d->ops->device_release(d->link_device);
		snprintf(why, len, "out of memory");
		return false;
	}
	return true;
}

rk_error rk_devices_take_link(struct rk_devices *d, size_t bytes, void **ring)
{
	size_t offset;
	rk_error rc = RK_OK;
	char why[200];
	pthread_mutex_lock(&d->lock);
	if (!rk_devices_pools_ready(d, why, sizeof(why)))
		rc = rk_fail(RK_ENOMEM, "%s", why);
	else if (!rk_pool_get(d->link_pool, bytes, &offset))
		rc = rk_fail(RK_ENOMEM, "the device memory for device links "
			     "is taken");
	pthread_mutex_unlock(&d->lock);
	if (rc == RK_OK)
		*ring = d->link_device + offset;
	return rc;
}

void rk_devices_give_link(struct rk_devices *d, void *ring, size_t bytes)
{
	pthread_mutex_lock(&d->lock);
	rk_pool_put(d->link_pool, (size_t)((uint8_t *)ring - d->link_device),
		    bytes);
	pthread_mutex_unlock(&d->lock);
}

void rk_device_error_text(const rk_device_kernel *dk, int64_t code,
			  char *buf, size_t len)
{
	for (int64_t i = 1; dk->errors && dk->errors[i - 1]; i++)
		if (i == code) {
			snprintf(buf, len, "%s", dk->errors[i - 1]);
			return;
		}
	snprintf(buf, len, "the device function failed with code %lld",
		 (long long)code);
}

void rk_device_telemetry(rk_kernel *k, rk_telemetry *t)
{
	struct rk_devices *d = k->rt->devices;
	struct rk_device_actor *da = k->device;

	if (!d || k->backend != RK_BACKEND_CUDA)
		return;
	snprintf(t->device, sizeof(t->device), "%s", d->info.name);
	snprintf(t->device_mode, sizeof(t->device_mode), "%s",
		 d->relaunch ? "relaunch" : "persistent");
	t->device_memory_total = d->info.memory_total;
	if (d->ops && d->ops->memory_free)
		t->device_memory_free = d->ops->memory_free();
	rk_device_health h = { -1, -1, -1 };
	if (d->ops && d->ops->health)
		d->ops->health(&h);
	t->device_utilization = h.utilization;
	t->device_temperature = h.temperature;
	t->device_power_mw = h.power_mw;
	if (!da)
		return;
	pthread_mutex_lock(&da->lock);
	if (da->a) {
		const rk_dev_control *cb = &da->a->cb;
		/* Messages that came over a device link: no proxy saw them. */
		t->messages_received += rk_dev_counter(&cb->link_received);
		t->messages_processed += rk_dev_counter(&cb->link_processed);
		t->errors += rk_dev_counter(&cb->link_errors);
		t->messages_sent += rk_dev_counter(&cb->link_sent);
		if (da->link_in)
			snprintf(t->device_link_from,
				 sizeof(t->device_link_from), "%s",
				 da->link_in->from);
		if (da->link_out)
			snprintf(t->device_link_to, sizeof(t->device_link_to),
				 "%s", da->link_out->to);
		t->device_heartbeat = rk_dev_counter(&da->a->cb.heartbeat);
		t->device_batches = rk_dev_counter(&da->a->cb.batches);
		t->device_threads = __atomic_load_n(&da->a->cb.threads,
						    __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&da->lock);
}

void rk_devices_left_running(struct rk_devices *d, struct rk_device_actor *da)
{
	pthread_mutex_lock(&d->lock);
	struct rk_device_actor **left = realloc(d->left, (d->n_left + 1)
						* sizeof(*left));
	if (left) {
		d->left = left;
		d->left[d->n_left] = da;
	}
	/* Counted even without memory to remember it by. */
	d->n_left++;
	pthread_mutex_unlock(&d->lock);
}

bool rk_devices_busy(rk_runtime *rt)
{
	struct rk_devices *d = rt->devices;

	if (!d)
		return false;
	pthread_mutex_lock(&d->lock);
	bool busy = d->n_left > 0;
	pthread_mutex_unlock(&d->lock);
	return busy;
}

void rk_devices_free(rk_runtime *rt)
{
	struct rk_devices *d = rt->devices;

	if (!d)
		return;
	/* Freeing pinned or device memory, or unloading a module, under a
	 * kernel that still runs waits for it forever (the CUDA driver
	 * synchronises): a runtime with such a kernel is abandoned
	 * instead (rk_runtime_free), and this never frees under it. */
	if (rk_devices_busy(rt))
		return;
	for (size_t i = 0; i < d->n_modules; i++)
		rk_dlclose_trusted(d->modules[i]);
	free(d->modules);
	free(d->loaded);
	free(d->left);
	/* Every kernel has stopped: freeing waits for nothing now. */
	if (d->actor_pool) {
		d->ops->release(d->actor_host);
		d->ops->device_release(d->link_device);
		rk_pool_free(d->actor_pool);
		rk_pool_free(d->link_pool);
	}
	if (d->module)
		rk_dlclose_trusted(d->module);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->preload_lock);
	free(d);
	rt->devices = NULL;
}
