/* device.c - kernels that run on a device: the backend chosen, device
 * actors started and stopped, and the proxy that feeds them. */
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
#include "device-actor.h"
#include "device-backend.h"
#include "device-host.h"
#include "device-pool.h"
#include "device.h"
#include "executor.h"
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
			rt->devices = d;
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

/* RK_CUDA_EMULATE=N: a pretend device with room for N persistent
 * kernels, run by host threads. */
static bool probe_emulated(struct rk_devices *d)
{
	const char *e = getenv("RK_CUDA_EMULATE");
	if (!e || !*e)
		return false;
	long n = strtol(e, NULL, 10);
	d->emulated = true;
	snprintf(d->info.name, sizeof(d->info.name),
		 "emulated device (host threads)");
	d->info.multiprocessors = n > 0 ? (int)n : 64;
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

static struct rk_devices *probe(rk_runtime *rt)
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
		d->probed = true;
		if (!probe_emulated(d))
			probe_module(rt, d);
	}
	pthread_mutex_unlock(&d->lock);
	return d;
}

rk_error rk_device_available(rk_runtime *rt)
{
	struct rk_devices *d = probe(rt);

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
	struct rk_devices *d = probe(rt);
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
	*use = RK_BACKEND_CUDA;
	return RK_OK;
}

/* ---- starting and stopping ---------------------------------------- */

/* The plugin file a descriptor came from (rt->lock held). */
static const char *plugin_of(rk_runtime *rt, const rk_kernel_desc *desc)
{
	for (size_t i = 0; i < rt->n_registry; i++)
		if (rt->registry[i].desc == desc)
			return rt->registry[i].plugin;
	return NULL;
}

/* Open a kernel's GPU module: in the directory cuda/ beside its plugin
 * (`plugin`, or NULL for an in-process kernel), where the plugin search
 * does not look, so `ringctl kernels` never takes it for a broken
 * plugin; where there is none there, beside the plugin.  A module is
 * trusted as a plugin is, or refused.  NULL, with the reason in
 * rk_errmsg(), if it cannot be opened. */
static void *open_gpu_module(const rk_device_kernel *dk, const char *plugin,
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

/* Open the kernel's GPU module (rt->lock held, as by rk_launch). */
static rk_error open_companion(rk_kernel *k, struct rk_device_actor *da,
			       const rk_cuda_kernel **ck)
{
	const rk_device_kernel *dk = da->dk;
	char path[4096];

	da->companion = open_gpu_module(dk, plugin_of(k->rt, k->desc), path,
					sizeof(path));
	if (!da->companion) {
		char why[512];
		snprintf(why, sizeof(why), "%s", rk_errmsg());
		return rk_fail(RK_EBACKEND, "kernel '%s': %s", k->id, why);
	}
	const void *table;
	if (rk_module_table(da->companion, path, "the kernel's GPU form",
			    dk->cuda_symbol, RK_DEVICE_ABI,
			    sizeof(rk_cuda_kernel), &table) != RK_OK) {
		char why[512];
		snprintf(why, sizeof(why), "%s", rk_errmsg());
		return rk_fail(RK_EBACKEND, "kernel '%s': %s", k->id, why);
	}
	*ck = table;
	if ((*ck)->in_size != dk->in_size || (*ck)->out_size != dk->out_size)
		return rk_fail(RK_EBACKEND, "kernel '%s': %s does not match "
			       "its plugin (message sizes)", k->id, path);
	return RK_OK;
}

/* Loading a kernel while another runs may wait for the work on the
 * device (CUDA's lazy loading guide, "concurrent execution"), and a
 * persistent kernel never finishes.  So before the first one starts,
 * every registered kernel's GPU form is opened and its function loaded
 * (asking its occupancy loads it), and kept open (rt->lock held).  A
 * plugin registered later is loaded when it starts. */
static void preload_gpu_forms(rk_runtime *rt, struct rk_devices *d)
{
	char path[4096];

	if (d->preloaded)
		return;
	d->preloaded = true;
	for (size_t i = 0; i < rt->n_registry; i++) {
		const rk_device_kernel *dk = rt->registry[i].desc->device;
		if (!dk || !dk->cuda_module || !dk->cuda_symbol)
			continue;
		void *module = open_gpu_module(dk, rt->registry[i].plugin,
					       path, sizeof(path));
		const void *table = NULL;
		if (module)
			rk_module_table(module, path, "the kernel's GPU form",
					dk->cuda_symbol, RK_DEVICE_ABI,
					sizeof(rk_cuda_kernel), &table);
		const rk_cuda_kernel *ck = table;
		void **kept = ck ? realloc(d->modules, (d->n_modules + 1)
					   * sizeof(*kept)) : NULL;
		if (!kept) {
			if (module)
				rk_dlclose_trusted(module);
			continue;       /* its launch will say why */
		}
		int blocks;
		ck->blocks_per_sm(dk->threads ? dk->threads : DEFAULT_THREADS,
				  &blocks);
		d->modules = kept;
		d->modules[d->n_modules++] = module;
	}
}

/* Persistent kernels never yield their multiprocessor: refuse one that
 * would not find room, rather than let it wait forever for a slot. */
static rk_error reserve(rk_kernel *k, struct rk_device_actor *da,
			int blocks_per_sm)
{
	struct rk_devices *d = da->devices;
	rk_error rc = RK_OK;

	da->share = 1.0 / (blocks_per_sm > 0 ? blocks_per_sm : 1);
	pthread_mutex_lock(&d->lock);
	if (d->occupied + da->share > d->info.multiprocessors + 1e-9)
		rc = rk_fail(RK_EBACKEND, "kernel '%s' does not fit on %s: "
			     "the persistent kernels running already take "
			     "its %d multiprocessors", k->id, d->info.name,
			     d->info.multiprocessors);
	else
		d->occupied += da->share;
	pthread_mutex_unlock(&d->lock);
	if (rc != RK_OK)
		da->share = 0;
	return rc;
}

static void unreserve(struct rk_device_actor *da)
{
	pthread_mutex_lock(&da->devices->lock);
	da->devices->occupied -= da->share;
	pthread_mutex_unlock(&da->devices->lock);
	da->share = 0;
}

static void *emulated_device(void *arg)
{
	struct rk_device_actor *da = arg;

	da->dk->host_loop(da->a);
	return NULL;
}

static rk_error start_emulated(rk_kernel *k, struct rk_device_actor *da)
{
	char name[16];

	if ((reserve(k, da, 1)) != RK_OK)
		return RK_EBACKEND;
	/* A host thread polls: sleep longer when idle than a GPU would. */
	da->a->idle_active_ns = 50000;
	da->a->idle_paused_ns = 1000000;
	if (pthread_create(&da->thread, NULL, emulated_device, da) != 0)
		return rk_fail(RK_ENOMEM, "cannot start a thread for kernel "
			       "'%s'", k->id);
	snprintf(name, sizeof(name), "rk-dev:%s", k->id);
	pthread_setname_np(da->thread, name);
	da->thread_started = true;
	return RK_OK;
}

static rk_error start_gpu(rk_kernel *k, struct rk_device_actor *da)
{
	const rk_backend_ops *ops = da->devices->ops;
	const rk_cuda_kernel *ck;
	uint32_t threads = da->dk->threads ? da->dk->threads : DEFAULT_THREADS;
	char why[200];
	int blocks = 0;
	rk_error rc;

	if ((rc = open_companion(k, da, &ck)) != RK_OK)
		return rc;
	if (ck->blocks_per_sm(threads, &blocks) != 0 || blocks < 1)
		return rk_fail(RK_EBACKEND, "kernel '%s': a block of %u "
			       "threads does not fit a multiprocessor", k->id,
			       threads);
	if ((rc = reserve(k, da, blocks)) != RK_OK)
		return rc;
	if (ops->start(ck, da->device_address, threads, &da->stream, why,
		       sizeof(why)) != 0)
		return rk_fail(RK_EBACKEND, "kernel '%s': %s", k->id, why);
	return RK_OK;
}

/* The GPU's memory for actors and links, taken the first time a kernel
 * needs some (d->lock held); false and why if it cannot be had. */
static bool pools_ready(struct rk_devices *d, char *why, size_t len)
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

static size_t whole_lines(size_t bytes)
{
	return (bytes + RK_CACHE_LINE - 1) & ~(size_t)(RK_CACHE_LINE - 1);
}

static rk_error allocate(rk_kernel *k, struct rk_device_actor *da,
			 size_t bytes)
{
	struct rk_devices *d = da->devices;
	rk_error rc = RK_OK;

	if (da->emulated) {
		da->a = aligned_alloc(RK_CACHE_LINE, whole_lines(bytes));
		da->device_address = da->a;
		if (!da->a)
			return rk_fail(RK_ENOMEM, "out of memory for kernel "
				       "'%s'", k->id);
		memset(da->a, 0, bytes);
		return RK_OK;
	}
	char why[200];
	pthread_mutex_lock(&d->lock);
	if (!pools_ready(d, why, sizeof(why)))
		rc = rk_fail(RK_ENOMEM, "kernel '%s': %s", k->id, why);
	else if (!rk_pool_get(d->actor_pool, bytes, &da->pool_offset))
		rc = rk_fail(RK_ENOMEM, "kernel '%s': the pinned memory for "
			     "device kernels is taken (%zu MiB free; "
			     "RK_CUDA_POOL_MB sets it)", k->id,
			     rk_pool_free_bytes(d->actor_pool) >> 20);
	pthread_mutex_unlock(&d->lock);
	if (rc != RK_OK)
		return rc;
	da->pool_bytes = bytes;
	da->a = (rk_dev_actor *)(d->actor_host + da->pool_offset);
	da->device_address = d->actor_device + da->pool_offset;
	memset(da->a, 0, bytes);
	return RK_OK;
}

rk_error rk_devices_take_link(struct rk_devices *d, size_t bytes, void **ring)
{
	size_t offset;
	rk_error rc = RK_OK;

	if (d->emulated) {
		*ring = aligned_alloc(RK_CACHE_LINE, whole_lines(bytes));
		return *ring ? RK_OK : rk_fail(RK_ENOMEM, "out of memory");
	}
	char why[200];
	pthread_mutex_lock(&d->lock);
	if (!pools_ready(d, why, sizeof(why)))
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
	if (d->emulated) {
		free(ring);
		return;
	}
	pthread_mutex_lock(&d->lock);
	rk_pool_put(d->link_pool, (size_t)((uint8_t *)ring - d->link_device),
		    bytes);
	pthread_mutex_unlock(&d->lock);
}

/* Give back what the actor holds (it has stopped, or never started). */
static void release_memory(struct rk_device_actor *da)
{
	if (da->stream)
		da->devices->ops->stream_free(da->stream);
	da->stream = NULL;
	if (da->a && da->emulated) {
		free(da->a);
	} else if (da->a) {
		pthread_mutex_lock(&da->devices->lock);
		rk_pool_put(da->devices->actor_pool, da->pool_offset,
			    da->pool_bytes);
		pthread_mutex_unlock(&da->devices->lock);
	}
	da->a = NULL;
	if (da->share)
		unreserve(da);
	if (da->companion)
		rk_dlclose_trusted(da->companion);
	da->companion = NULL;
}

static void release(struct rk_device_actor *da)
{
	release_memory(da);
	pthread_mutex_destroy(&da->lock);
	free(da);
}

static rk_error check_sizes(rk_kernel *k, const rk_device_kernel *dk)
{
	const rk_type *in = k->desc->input_type, *out = k->desc->output_type;

	if (!in || !in->fields || in->size != dk->in_size || !out
	    || !out->fields || out->size != dk->out_size)
		return rk_fail(RK_EPLUGIN, "kernel '%s': its device form "
			       "takes %u-byte and makes %u-byte messages, "
			       "not its types'", k->id, dk->in_size,
			       dk->out_size);
	if (dk->params_size > RK_DEVICE_PARAMS_MAX)
		return rk_fail(RK_EPLUGIN, "kernel '%s': %u bytes of device "
			       "parameters, at most %u", k->id,
			       dk->params_size, RK_DEVICE_PARAMS_MAX);
	return RK_OK;
}

rk_error rk_device_attach(rk_kernel *k)
{
	const rk_device_kernel *dk = k->desc->device;
	struct rk_device_actor *da;
	rk_error rc;

	if ((rc = check_sizes(k, dk)) != RK_OK)
		return rc;
	size_t bytes = rk_dev_actor_bytes(DEVICE_RING, dk->in_size,
					  dk->out_size);
	if (!bytes || !(da = calloc(1, sizeof(*da))))
		return rk_fail(RK_ENOMEM, "out of memory for kernel '%s'",
			       k->id);
	pthread_mutex_init(&da->lock, NULL);
	da->dk = dk;
	da->devices = probe(k->rt);
	da->emulated = da->devices->emulated;
	if ((rc = allocate(k, da, bytes)) != RK_OK) {
		release(da);
		return rc;
	}
	rk_dev_actor_init(da->a, bytes, DEVICE_RING, dk->in_size,
			  dk->out_size, 0);
	if (k->state && dk->params_size)
		memcpy(da->a->params, k->state, dk->params_size);
	if (!da->emulated)
		preload_gpu_forms(k->rt, da->devices);
	rc = da->emulated ? start_emulated(k, da) : start_gpu(k, da);
	if (rc != RK_OK) {
		release(da);
		return rc;
	}
	da->followed = RK_DEV_LAUNCHED;
	k->device = da;
	return RK_OK;
}

static bool device_stopped(struct rk_device_actor *da, uint64_t deadline)
{
	if (!rk_dev_wait_finished(da->a, deadline))
		return false;
	if (da->emulated)
		return true;
	/* The loop has returned; the kernel ends with it. */
	char why[200];
	rk_dev_backoff b = { 0, 1000000 };
	while (da->devices->ops->running(da->stream, why, sizeof(why)) > 0) {
		if (rk_now_ns() >= deadline)
			return false;
		rk_dev_backoff_wait(&b);
	}
	return true;
}

/* What came over a device link is counted on the device: keep it in
 * the kernel's own counters before the actor's memory goes. */
static void keep_link_counts(rk_kernel *k, struct rk_device_actor *da)
{
	const rk_dev_control *cb = &da->a->cb;
	struct { uint64_t *to; const uint64_t *from; } pairs[] = {
		{ &k->cb.received, &cb->link_received },
		{ &k->cb.processed, &cb->link_processed },
		{ &k->cb.errors, &cb->link_errors },
		{ &k->cb.sent, &cb->link_sent },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		__atomic_add_fetch(pairs[i].to, rk_dev_counter(pairs[i].from),
				   __ATOMIC_RELAXED);
}

void rk_device_detach(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	if (!da || !da->a)
		return;
	if (!rk_dev_finished(da->a))
		rk_dev_command(da->a, RK_DEV_TERMINATED,
			       rk_deadline(da->devices->timeout_s));
	if (!device_stopped(da, rk_deadline(da->devices->timeout_s))) {
		__atomic_store_n(&da->a->cb.abort, 1, __ATOMIC_RELEASE);
		if (!device_stopped(da, rk_deadline(da->devices->timeout_s))) {
			/* It still runs: its memory must stay. */
			rk_kernel_set_error(k, RK_EBACKEND, "the device did not "
					    "stop; its memory is left to it");
			da->lost = true;
			return;
		}
	}
	if (da->thread_started) {
		pthread_join(da->thread, NULL);
		da->thread_started = false;
	}
	/* Messages still in its rings were never delivered; a batch cut
	 * short by a lost device, or by the end of the kernel after it on
	 * a device link, has counted them as failed already. */
	uint64_t left = rk_ring_depth(rk_dev_out(da->a));
	if (!da->link_broken)
		left += rk_ring_depth(rk_dev_in(da->a));
	if (left && !da->lost)
		__atomic_add_fetch(&k->cb.dropped, left, __ATOMIC_RELAXED);
	rk_link_detach(k, da);
	pthread_mutex_lock(&da->lock);
	keep_link_counts(k, da);
	release_memory(da);
	pthread_mutex_unlock(&da->lock);
}

void rk_device_free(rk_kernel *k)
{
	struct rk_device_actor *da = k->device;

	if (!da)
		return;
	rk_device_detach(k);
	if (da->a)
		return;                 /* still running: leave it be */
	k->device = NULL;
	pthread_mutex_destroy(&da->lock);
	free(da);
}

bool rk_device_follow(rk_kernel *k, rk_state state)
{
	struct rk_device_actor *da = k->device;
	uint32_t want;

	if (!da || da->lost)
		return da == NULL;
	switch (state) {
	case RK_STATE_ACTIVE:
		want = RK_DEV_ACTIVE;
		break;
	case RK_STATE_DEACTIVATED:
		want = RK_DEV_DEACTIVATED;
		break;
	case RK_STATE_TERMINATING:
		/* The executor drains what is queued through the device. */
		want = RK_DEV_ACTIVE;
		break;
	default:
		return true;
	}
	/* A producer that gave up its link takes no more input. */
	if (want == da->followed || (da->link_broken && want == RK_DEV_ACTIVE))
		return true;
	rk_error rc = rk_dev_command(da->a, want,
				     rk_deadline(da->devices->timeout_s));
	if (rc != RK_OK) {
		da->lost = true;
		rk_kernel_set_error(k, RK_EBACKEND, rc == RK_ETIMEDOUT
				    ? "the device did not confirm a state "
				      "change in time"
				    : "the device left its loop");
		return false;
	}
	rk_link_follow(da, want);
	return true;
}

bool rk_device_lost(const rk_kernel *k)
{
	return k->device && k->device->lost;
}

/* ---- the proxy ----------------------------------------------------- */

void rk_device_error_text(const rk_device_kernel *dk, unsigned code,
			  char *buf, size_t len)
{
	for (unsigned i = 1; dk->errors && dk->errors[i - 1]; i++)
		if (i == code) {
			snprintf(buf, len, "%s", dk->errors[i - 1]);
			return;
		}
	snprintf(buf, len, "the device function failed with code %u", code);
}

/* Run `n` messages of the right size through the device and emit the
 * results in order.  Returns the failures; when the device is lost,
 * every message without a result counts as failed.  Results of
 * messages that came over a device link may come in between. */
static int run_on_device(rk_kernel *k, const rk_msg *msgs, size_t n,
			 size_t offset)
{
	struct rk_device_actor *da = k->device;
	uint64_t pushed = 0, done = 0;
	int failed = 0;
	rk_error rc = RK_OK;

	if (da->link_out)
		return rk_link_run(k, msgs, n, offset);
	while (done < n) {
		if (pushed < n)
			pushed += rk_dev_push(da->a, msgs + pushed, n - pushed);
		rc = rk_dev_wait_results(da->a, 1,
					 rk_deadline(da->devices->timeout_s));
		if (rc != RK_OK)
			break;
		uint64_t ready = rk_dev_results(da->a);
		for (uint64_t i = 0; i < ready; i++) {
			rk_slot_header *h = rk_dev_result(da->a, i);
			if (h->flags & RK_SLOT_LINKED) {
				rk_link_result(k, h);
				continue;
			}
			const rk_msg *m = &msgs[done++];
			k->ctx.current = m;
			if (h->flags & RK_SLOT_FAILED) {
				char why[128];
				rk_device_error_text(da->dk, h->type_tag, why,
						     sizeof(why));
				rk_ctx_error(&k->ctx, "%s", why);
				k->batch_index = offset + done - 1;
				failed++;
			} else {
				rk_ctx_emit(&k->ctx, h + 1, h->length);
			}
			if (k->emits_markers)
				rk_executor_mark_done(k, m->priority);
		}
		rk_dev_release(da->a, ready);
	}
	k->ctx.current = NULL;
	if (rc != RK_OK) {
		/* The rest of the batch is lost with the device. */
		da->lost = true;
		k->batch_index = offset + done;
		rk_ctx_error(&k->ctx, "%s", rc == RK_ETIMEDOUT
			     ? "the device returned no result in time"
			     : "the device left its loop");
		failed += (int)(n - done);
	}
	return failed;
}

int rk_device_process_batch(rk_kernel *k, const rk_msg *msgs, size_t n)
{
	size_t start = 0;
	int failed = 0;

	if (k->device->lost)
		return (int)n;
	/* Messages not of the kernel's input size (raw sends through the
	 * C API) fail here; the rest go to the device in runs. */
	for (size_t i = 0; i <= n; i++) {
		if (i < n && msgs[i].len == k->device->dk->in_size)
			continue;
		if (i > start && k->device->lost) {
			failed += (int)(i - start);
		} else if (i > start) {
			failed += run_on_device(k, msgs + start, i - start,
						start);
		}
		if (i < n) {
			k->ctx.current = &msgs[i];
			rk_ctx_error(&k->ctx, "a message of %zu bytes; the "
				     "device takes %u", msgs[i].len,
				     k->device->dk->in_size);
			k->batch_index = i;
			if (k->emits_markers)
				rk_executor_mark_done(k, msgs[i].priority);
			k->ctx.current = NULL;
			failed++;
		}
		start = i + 1;
	}
	return failed;
}

void rk_device_telemetry(rk_kernel *k, rk_telemetry *t)
{
	struct rk_devices *d = k->rt->devices;
	struct rk_device_actor *da = k->device;

	if (!d || k->backend != RK_BACKEND_CUDA)
		return;
	snprintf(t->device, sizeof(t->device), "%s", d->info.name);
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

void rk_devices_free(rk_runtime *rt)
{
	struct rk_devices *d = rt->devices;

	if (!d)
		return;
	for (size_t i = 0; i < d->n_modules; i++)
		rk_dlclose_trusted(d->modules[i]);
	free(d->modules);
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
	free(d);
	rt->devices = NULL;
}
