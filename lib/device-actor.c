/* device-actor.c - a kernel's device actor: attached after the kernel's
 * init (its memory, its loop started on the GPU or on a host thread),
 * following the states the executor applies, detached as it ends. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "code-trust.h"
#include "device-host.h"
#include "device.h"
#include "executor.h"
#include "registry.h"
#include "rk-error.h"
#include "runtime.h"

/* Open the kernel's GPU module (rt->lock held, as by rk_launch). */
static rk_error open_companion(rk_kernel *k, struct rk_device_actor *da,
			       const rk_cuda_kernel **ck)
{
	const rk_device_kernel *dk = da->dk;
	const char *plugin = rk_registry_plugin_locked(k->rt, k->desc);
	char path[4096];

	da->companion = rk_device_open_module(dk, plugin, path, sizeof(path));
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

/* Persistent kernels never yield their multiprocessor, nor the
 * hardware queue they were launched on: refuse one that would not find
 * room, rather than let it wait forever for a slot.  Room is resident
 * blocks (the occupancy API's blocks per multiprocessor, for the
 * kernel's threads, registers and shared memory, times the
 * multiprocessors), and queues (info.max_kernels). */
static rk_error reserve(rk_kernel *k, struct rk_device_actor *da,
			int blocks_per_sm)
{
	struct rk_devices *d = da->devices;
	rk_error rc = RK_OK;

	da->share = 1.0 / (blocks_per_sm > 0 ? blocks_per_sm : 1);
	pthread_mutex_lock(&d->lock);
	if (d->info.max_kernels && d->kernels >= d->info.max_kernels)
		rc = rk_fail(RK_EBACKEND, "kernel '%s' does not fit on %s: "
			     "%d persistent kernels run, one per hardware "
			     "queue (CUDA_DEVICE_MAX_CONNECTIONS=%d, one kept "
			     "for copies; up to 32)", k->id, d->info.name,
			     d->kernels, d->info.connections);
	else if (d->occupied + da->share > d->info.multiprocessors + 1e-9)
		rc = rk_fail(RK_EBACKEND, "kernel '%s' does not fit on %s: "
			     "the persistent kernels running already take "
			     "its %d multiprocessors (%d blocks of this "
			     "kernel fit on one)", k->id, d->info.name,
			     d->info.multiprocessors, blocks_per_sm);
	else {
		d->occupied += da->share;
		d->kernels++;
	}
	pthread_mutex_unlock(&d->lock);
	if (rc != RK_OK)
		da->share = 0;
	return rc;
}

static void unreserve(struct rk_device_actor *da)
{
	pthread_mutex_lock(&da->devices->lock);
	da->devices->occupied -= da->share;
	da->devices->kernels--;
	pthread_mutex_unlock(&da->devices->lock);
	da->share = 0;
}

static rk_error start_emulated(rk_kernel *k, struct rk_device_actor *da)
{
	if ((reserve(k, da, 1)) != RK_OK)
		return RK_EBACKEND;
	/* A host thread polls: sleep longer when idle than a GPU would. */
	da->a->idle_active_ns = 50000;
	da->a->idle_paused_ns = 1000000;
	if (da->devices->relaunch)
		da->a->bounded = RELAUNCH_BATCHES;
	snprintf(da->thread_name, sizeof(da->thread_name), "rk-dev:%s",
		 k->id);
	if (!rk_device_emulated_launch(da))
		return rk_fail(RK_ENOMEM, "cannot start a thread for kernel "
			       "'%s'", k->id);
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
	da->ck = ck;
	da->threads = threads;
	if (da->devices->relaunch)
		da->a->bounded = RELAUNCH_BATCHES;
	if (ops->start(ck, da->device_address, threads, &da->stream, why,
		       sizeof(why)) != 0)
		return rk_fail(RK_EBACKEND, "kernel '%s': %s", k->id, why);
	da->launches = 1;
	return RK_OK;
}

static rk_error allocate(rk_kernel *k, struct rk_device_actor *da,
			 size_t bytes)
{
	struct rk_devices *d = da->devices;
	rk_error rc = RK_OK;
	char why[200];
	pthread_mutex_lock(&d->lock);
	if (!rk_devices_pools_ready(d, why, sizeof(why)))
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

/* Give back what the actor holds (it has stopped, or never started). */
static void release_memory(struct rk_device_actor *da)
{
	if (da->stream)
		da->devices->ops->stream_free(da->stream);
	da->stream = NULL;
	if (da->a) {
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
	da->devices = rk_devices_probe(k->rt);
	da->emulated = da->devices->emulated;
	if ((rc = allocate(k, da, bytes)) != RK_OK) {
		release(da);
		return rc;
	}
	rk_dev_actor_init(da->a, bytes, DEVICE_RING, dk->in_size,
			  dk->out_size, 0);
	if (k->state && dk->params_size)
		memcpy(da->a->params, k->state, dk->params_size);
	rc = da->emulated ? start_emulated(k, da) : start_gpu(k, da);
	if (rc != RK_OK) {
		release(da);
		return rc;
	}
	da->followed = RK_DEV_LAUNCHED;
	k->device = da;
	return RK_OK;
}

/* Wait until the device has left its loop and its kernel has ended
 * (or failed, which ends it too). */
static bool device_stopped(struct rk_device_actor *da, uint64_t deadline)
{
	rk_dev_watch w;
	char why[200];

	rk_dev_watch_begin(&w, da);
	if (!rk_dev_wait_finished(da->a, deadline, &w))
		return da->faulted;
	if (da->emulated)
		return true;            /* the thread is joined */
	rk_dev_backoff b = { 0, 1000000 };
	while (rk_device_running(da, why, sizeof(why)) > 0) {
		if (rk_now_ns() >= deadline)
			return false;
		rk_dev_backoff_wait(&b);
	}
	return true;
}

/* Ask the device to leave its loop and, if it does not, make it: true
 * once it has stopped.  A device lost (or lost while asked) is not
 * asked again: it is told to abort, and given one time-out. */
static bool stop(struct rk_device_actor *da)
{
	double t = da->devices->timeout_s;

	if (da->faulted)
		return true;
	if (!da->lost) {
		rk_error rc = RK_OK;
		rk_dev_watch w;
		rk_dev_watch_begin(&w, da);
		if (!rk_dev_finished(da->a))
			rc = rk_dev_command(da->a, RK_DEV_TERMINATED,
					    UINT64_MAX, &w);
		/* Silent for the time-out: it is told to abort at once. */
		if (rc != RK_ETIMEDOUT && device_stopped(da, rk_deadline(t)))
			return true;
	}
	if (da->faulted)
		return true;
	rk_dev_abort(da->a);
	return device_stopped(da, rk_deadline(t));
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
	if (!stop(da)) {
		/* It still runs: its memory, its module and the device's
		 * pools must stay (rk_devices_free). */
		rk_kernel_set_error(k, RK_EBACKEND, "the device did not "
				    "stop; its memory is left to it");
		da->lost = true;
		rk_devices_left_running(da->devices, da);
		/* Nobody will join an emulated device's thread now: it ends
		 * on its own, if ever. */
		if (da->thread_started) {
			pthread_detach(da->thread);
			da->thread_started = false;
		}
		return;
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
		/* The device stays as it is.  An active kernel drains what
		 * is queued through its device, which is active already; one
		 * that was not active drains nothing (its deadline is 0), and
		 * its device must not start now: fed over a device link, it
		 * would run what the link holds, as many messages as it met
		 * until the executor stopped it, and pass them on. */
		return true;
	default:
		return true;
	}
	/* A producer that gave up its link takes no more input. */
	if (want == da->followed || (da->link_broken && want == RK_DEV_ACTIVE))
		return true;
	rk_dev_watch w;
	rk_dev_watch_begin(&w, da);
	rk_error rc = rk_dev_command(da->a, want, UINT64_MAX, &w);
	if (rc != RK_OK) {
		da->lost = true;
		rk_kernel_set_error(k, RK_EBACKEND, rk_device_why(da, rc));
		return false;
	}
	rk_link_follow(da, want);
	return true;
}

bool rk_device_lost(const rk_kernel *k)
{
	return k->device && (k->device->lost || k->device->stopped);
}
