/* runtime.c - the runtime and the lifecycle of its kernels: launch,
 * activate, deactivate, reactivate, terminate. */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "rk-error.h"
#include "params.h"
#include "descriptor.h"
#include "device.h"
#include "fault.h"
#include "replicas.h"
#include "runtime.h"
#include "kernel-table.h"
#include "names.h"
#include "registry.h"

#define DEFAULT_SPIN_NS 20000u
#define MAX_QUEUE_SIZE (1u << 24)
#define MAX_MESSAGE RK_MAX_MESSAGE
#define MAX_ID 64
#define TERMINATE_GRACE_NS 200000000u  /* past the drain deadline */
#define FREE_TIMEOUT_S 10.0
#define MAX_REPLICAS 1024

rk_error rk_runtime_new(const rk_runtime_options *given,
			rk_runtime **out)
{
	rk_runtime_options all = RK_RUNTIME_OPTIONS_INIT;
	const rk_runtime_options *opts = &all;
	rk_error rc;

	if (!out)
		return rk_fail(RK_EINVAL, "no place for the runtime");
	*out = NULL;
	if (given && (rc = rk_struct_adopt("rk_runtime_options", RK_EINVAL,
					   given->struct_size,
					   RK_RUNTIME_OPTIONS_SIZE_V1, given,
					   &all, sizeof(all))) != RK_OK)
		return rc;
	all.struct_size = (uint32_t)sizeof(all);
	if (opts->default_queue_size == 0
	    || opts->default_queue_size > MAX_QUEUE_SIZE)
		return rk_fail(RK_EINVAL, "queue size %u is not in 1..%u",
			       opts->default_queue_size, MAX_QUEUE_SIZE);
	if (opts->default_max_message == 0
	    || opts->default_max_message > MAX_MESSAGE)
		return rk_fail(RK_EINVAL, "message size %u is not in 1..%u",
			       opts->default_max_message, MAX_MESSAGE);
	rk_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return rk_fail(RK_ENOMEM, "out of memory");
	pthread_rwlock_init(&rt->lock, NULL);
	rk_failures_init(rt);
	rt->telemetry = opts->telemetry != 0;
	rt->default_queue_size = opts->default_queue_size;
	rt->default_max_message = opts->default_max_message;
	rt->spin_ns = opts->spin_ns ? opts->spin_ns : DEFAULT_SPIN_NS;
	rt->opts = all;
	rt->backend = opts->backend;
	rt->on_kernel_error = opts->on_kernel_error;
	rt->on_kernel_error_arg = opts->on_kernel_error_arg;
	rt->on_kernel_fault = opts->on_kernel_fault;
	rt->on_kernel_fault_arg = opts->on_kernel_fault_arg;
	rt->start_ns = rk_now_ns();
	if (rt->backend == RK_BACKEND_CUDA) {
		rc = rk_device_available(rt);
		if (rc != RK_OK) {
			rk_devices_free(rt);
			rk_failures_destroy(rt);
			pthread_rwlock_destroy(&rt->lock);
			free(rt);
			return rc;
		}
	}
	*out = rt;
	return RK_OK;
}

static rk_error terminate_all(rk_runtime *rt, double timeout,
			      bool spare_stuck);

/* Runtimes left to kernels that would not stop, kept reachable on
 * purpose: still in use, not lost (as a leak checker would say). */
static rk_runtime *abandoned;

/* Nobody will join a kernel's thread now: let it end on its own. */
static void detach_thread(rk_kernel *k)
{
	for (size_t i = 0; i < k->n_replicas; i++)
		detach_thread(k->replicas[i]);
	if (k->thread_started) {
		pthread_detach(k->thread);
		k->thread_started = false;
	}
}

static void abandon(rk_runtime *rt)
{
	pthread_rwlock_rdlock(&rt->lock);
	for (size_t i = 0; i < rt->n_kernels; i++)
		detach_thread(rt->kernels[i]);
	pthread_rwlock_unlock(&rt->lock);
	rt->next_abandoned = __atomic_load_n(&abandoned, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&abandoned, &rt->next_abandoned,
					    rt, true, __ATOMIC_RELEASE,
					    __ATOMIC_RELAXED))
		;
}

void rk_runtime_free(rk_runtime *rt)
{
	if (!rt)
		return;
	/* A kernel that would not stop may still run, on its thread or on
	 * its device, and read the runtime, the device's pools and its
	 * plugin's code: what cannot be stopped is left, never freed
	 * under it. */
	if (terminate_all(rt, FREE_TIMEOUT_S, true) != RK_OK
	    || rk_devices_busy(rt)) {
		abandon(rt);
		return;
	}
	rk_plugins_unload(rt);
	free(rt->kernels);
	free(rt->registry);
	rk_devices_free(rt);
	rk_failures_destroy(rt);
	pthread_rwlock_destroy(&rt->lock);
	free(rt);
}

rk_port *rk_runtime_new_port(rk_runtime *rt, uint64_t capacity,
			     uint32_t max_payload, rk_backpressure policy,
			     rk_bell *bell)
{
	return rk_port_new(capacity, max_payload, policy, bell, rt->telemetry);
}

/* Ids are names on a command line and in a socket protocol: keep them
 * short and plain. */
static bool valid_id(const char *id)
{
	return id && strlen(id) <= MAX_ID && id[0] != '-'
	       && rk_plain_name(id, ":");
}

static bool executor_finished(rk_kernel *k)
{
	return __atomic_load_n(&k->cb.finished, __ATOMIC_ACQUIRE) != 0;
}

static bool acked(rk_kernel *k, uint32_t epoch)
{
	return __atomic_load_n(&k->cb.acked_epoch, __ATOMIC_ACQUIRE) == epoch
	       || executor_finished(k);
}

/* Host: ask the executor for a state; with `wait`, return once it has
 * acknowledged (or exited).  Returns whether the executor acknowledged
 * the command: it may fail right after, which is another story.  Called
 * under k->lock. */
static bool command(rk_kernel *k, rk_state want, bool wait)
{
	uint32_t epoch = k->cb.epoch + 1;

	__atomic_store_n(&k->cb.requested, (uint32_t)want, __ATOMIC_RELAXED);
	__atomic_store_n(&k->cb.epoch, epoch, __ATOMIC_RELEASE);
	rk_event_notify(&k->bell->ev);
	while (wait && !acked(k, epoch)) {
		uint32_t key = rk_event_prepare(&k->ack);
		if (acked(k, epoch)) {
			rk_event_cancel(&k->ack, key);
			break;
		}
		rk_event_wait(&k->ack, key, UINT64_MAX);
	}
	return __atomic_load_n(&k->cb.acked_epoch, __ATOMIC_ACQUIRE) == epoch;
}

static rk_error new_kernel(rk_runtime *rt, const char *id,
			   const rk_kernel_desc *desc,
			   const rk_launch_options *o, rk_kernel **out)
{
	uint64_t capacity = o->queue_size ? o->queue_size
					  : rt->default_queue_size;
	uint32_t max_message = o->max_message ? o->max_message
					      : rt->default_max_message;

	if (capacity > MAX_QUEUE_SIZE)
		return rk_fail(RK_EINVAL, "queue size %llu is not in 1..%u",
			       (unsigned long long)capacity, MAX_QUEUE_SIZE);
	if (max_message > MAX_MESSAGE)
		return rk_fail(RK_EINVAL, "message size %u is not in 1..%u",
			       max_message, MAX_MESSAGE);
	/* A typed kernel's queues hold exactly its messages. */
	uint32_t in_max = desc->input_type && desc->input_type->fields
		? desc->input_type->size : max_message;
	uint32_t out_max = desc->output_type && desc->output_type->fields
		? desc->output_type->size : max_message;
	rk_kernel *k = aligned_alloc(64, (sizeof(*k) + 63) & ~(size_t)63);
	if (!k)
		return rk_fail(RK_ENOMEM, "out of memory");
	static uint64_t kernels_launched;
	memset(k, 0, sizeof(*k));
	k->ops = rk_cpu_ops(desc);
	k->serial = __atomic_add_fetch(&kernels_launched, 1, __ATOMIC_RELAXED);
	k->id = strdup(id);
	k->params = rk_params_copy(o->params);
	k->inputs = calloc(1, sizeof(*k->inputs));
	/* Ours to keep while the kernel lives: the registry's copy, or
	 * one of its own (the caller's view may be gone). */
	if (!(k->desc = rk_registered_locked(rt, desc))) {
		k->own_desc = malloc(sizeof(*k->own_desc));
		if (k->own_desc && rk_desc_adopt(desc, k->own_desc) == RK_OK)
			k->desc = &k->own_desc->desc;
	}
	k->rt = rt;
	k->backend = RK_BACKEND_CPU;
	k->on_error = o->on_error;
	k->telemetry = rt->telemetry;
	k->spin_ns = rt->spin_ns;
	k->refs = 1;
	k->ctx.kernel = k;
	k->launch_ns = rk_now_ns();
	k->host_state = RK_STATE_LAUNCHED;
	k->cb.run_state = RK_STATE_LAUNCHED;
	k->cb.requested = RK_STATE_LAUNCHED;
	pthread_mutex_init(&k->lock, NULL);
	pthread_mutex_init(&k->error_lock, NULL);
	pthread_mutex_init(&k->send_lock, NULL);
	pthread_mutex_init(&k->recv_lock, NULL);
	rk_hist_init(&k->latency);
	k->bell = rk_bell_new();
	k->input = k->bell ? rk_runtime_new_port(rt, capacity, in_max,
						 o->input_policy, k->bell)
			   : NULL;
	k->output = rk_runtime_new_port(rt, capacity, out_max, o->output_policy,
					NULL);
	if (!k->desc || !k->id || !k->params || !k->inputs || !k->input
	    || !k->output) {
		rk_kernel_destroy(k);
		return rk_fail(RK_ENOMEM, "out of memory for kernel '%s'", id);
	}
	k->inputs[0] = k->input;
	k->n_inputs = 1;
	*out = k;
	return RK_OK;
}

static rk_error init_kernel(rk_kernel *k)
{
	/* Kernel code on the launching thread: an exit() or abort() in
	 * init is named as one in process would be. */
	const char *was_id = rk_kernel_thread_id;
	bool was = rk_in_kernel_code;
	rk_kernel_thread_id = k->id;
	rk_in_kernel_code = true;
	int failed = k->desc->init
		     && k->desc->init(&k->ctx, k->params, &k->state) != 0;
	rk_in_kernel_code = was;
	rk_kernel_thread_id = was_id;
	if (failed)
		return rk_fail(RK_EPLUGIN, "kernel '%s' failed to initialize%s%s",
			       k->id, k->ctx.error[0] ? ": " : "",
			       k->ctx.error);
	k->initialized = true;
	return RK_OK;
}

/* Set up and start a kernel: its init, its device, its executor. */
static rk_error start_kernel(rk_kernel *k)
{
	rk_error rc = init_kernel(k);

	if (rc == RK_OK && k->backend == RK_BACKEND_CUDA
	    && (rc = rk_device_attach(k)) == RK_OK)
		k->ops = &rk_device_ops;
	if (rc == RK_OK)
		rc = rk_executor_start(k);
	return rc;
}

static rk_error stop_kernel(rk_kernel *k, double timeout,
			    rk_terminate_report *report);

bool rk_replicas_can(const rk_kernel_desc *d)
{
	return (d->process || (d->process_batch
			       && (d->flags & RK_KERNEL_BATCH_TELLS)))
	       && (!d->flush || (d->flags & RK_KERNEL_REPLICA_SAFE_FLUSH));
}

const char *rk_replicas_policy_why(const char *id, rk_backpressure policy)
{
	static _Thread_local char why[256];

	snprintf(why, sizeof(why), "kernel '%s' has replicas, which keep the "
		 "order of their input: its queue cannot drop messages "
		 "(backpressure %s); use block or reject", id,
		 policy == RK_BP_DROP_OLDEST ? "drop_oldest" : "drop_newest");
	return why;
}

const char *rk_replicas_fan_in_why(const char *id, const char *first)
{
	static _Thread_local char why[256];

	snprintf(why, sizeof(why), "kernel '%s' has replicas, which keep the "
		 "order of one input only, and '%s' feeds it already: put a "
		 "kernel in front of it that takes both", id, first);
	return why;
}

/* Stop and drop a group's replicas (a launch that failed half way). */
static void stop_replicas(rk_kernel *group)
{
	for (size_t i = 0; i < group->n_replicas; i++) {
		rk_kernel *r = group->replicas[i];
		pthread_mutex_lock(&r->lock);
		stop_kernel(r, 0, NULL);
		pthread_mutex_unlock(&r->lock);
	}
}

/* A replicated kernel: a group of copies "ID:1".."ID:N", each a kernel
 * with its own thread and state that marks the end of every message's
 * outputs, so that what they emit can be put back in order. */
static rk_error launch_replicas(rk_kernel *group, const rk_launch_options *o)
{
	rk_launch_options ro = *o;
	char id[96];
	rk_error rc = RK_OK;

	/* A marker must never be dropped: replicas block on full outputs. */
	ro.output_policy = RK_BP_BLOCK;
	ro.replicas = 0;
	group->replicas = calloc(o->replicas, sizeof(*group->replicas));
	if (!group->replicas)
		return rk_fail(RK_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < o->replicas && rc == RK_OK; i++) {
		rk_kernel *r = NULL;
		snprintf(id, sizeof(id), "%s:%u", group->id, i + 1);
		if ((rc = new_kernel(group->rt, id, group->desc, &ro, &r)) != RK_OK)
			break;
		r->emits_markers = true;
		r->backend = group->backend;
		if ((rc = start_kernel(r)) != RK_OK) {
			rk_kernel_destroy(r);
			break;
		}
		group->replicas[group->n_replicas++] = r;
	}
	if (rc != RK_OK)
		stop_replicas(group);
	return rc;
}

static rk_error launch_adopted(rk_runtime *rt, const char *id,
			       const rk_kernel_desc *desc,
			       const rk_launch_options *o);

/* A caller's descriptor may be of an older header: what is read of it
 * is the registry's copy, or one made here. */
rk_error rk_launch(rk_runtime *rt, const char *id, const rk_kernel_desc *desc,
		   const rk_launch_options *opts)
{
	rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
	struct rk_adopted_desc view;
	const rk_kernel_desc *known = NULL;
	rk_error rc;

	if (opts && (rc = rk_struct_adopt("rk_launch_options", RK_EINVAL,
					  opts->struct_size,
					  RK_LAUNCH_OPTIONS_SIZE_V1, opts, &o,
					  sizeof(o))) != RK_OK)
		return rc;
	o.struct_size = (uint32_t)sizeof(o);

	if (rt && desc) {
		pthread_rwlock_rdlock(&rt->lock);
		known = rk_registered_locked(rt, desc);
		pthread_rwlock_unlock(&rt->lock);
		if (!known && (rc = rk_desc_adopt(desc, &view)) != RK_OK)
			return rc;
		desc = known ? known : &view.desc;
	}
	return launch_adopted(rt, id, desc, &o);
}

static rk_error launch_adopted(rk_runtime *rt, const char *id,
			       const rk_kernel_desc *desc,
			       const rk_launch_options *o)
{
	rk_kernel *k = NULL;
	char shown[80];
	rk_error rc;

	if (!rt)
		return rk_fail(RK_EINVAL, "no runtime");
	if (id && (rc = rk_check_control("kernel id", id)) != RK_OK)
		return rc;
	if (!valid_id(id))
		return rk_fail(RK_EINVAL,
			       "invalid kernel id '%s': use up to %d letters, "
			       "digits, '_', '-', '.' or ':'",
			       id ? rk_escape(shown, sizeof(shown), id, strlen(id))
				  : "", MAX_ID);
	if (!desc) {
		const char *name = o->kernel ? o->kernel : id;
		if ((rc = rk_check_control("kernel", name)) != RK_OK)
			return rc;
		desc = rk_find_kernel(rt, name);
		if (!desc)
			return rk_fail(RK_ENOTFOUND,
				       "kernel '%s' is not registered", name);
	}
	if ((rc = rk_kernel_desc_check_adopted(desc)) != RK_OK)
		return rc;
	rk_backend backend;
	rc = rk_device_pick(rt, id, desc, o->backend != RK_BACKEND_AUTO
			    ? o->backend : rt->backend, &backend);
	if (rc != RK_OK)
		return rc;
	if ((rc = rk_params_check(desc, o->params)) != RK_OK)
		return rc;
	if (o->replicas > MAX_REPLICAS)
		return rk_fail(RK_EINVAL, "kernel '%s': %u replicas, at most %u",
			       id, o->replicas, MAX_REPLICAS);
	if (o->replicas > 1 && (o->input_policy == RK_BP_DROP_NEWEST
				|| o->input_policy == RK_BP_DROP_OLDEST))
		return rk_fail(RK_ECONFIG, "%s",
			       rk_replicas_policy_why(id, o->input_policy));
	if (o->replicas > 1 && !rk_replicas_can(desc))
		return rk_fail(RK_ECONFIG, "kernel '%s' cannot have replicas: "
			       "%s", id, (desc->process
			       || (desc->flags & RK_KERNEL_BATCH_TELLS))
			       ? "it keeps state across messages (flush)"
			       : "only kernels with process, or a process_batch "
			       "that tells each message, can");

	pthread_rwlock_wrlock(&rt->lock);
	rk_kernel *existing = rk_kernel_find_locked(rt, id, NULL);
	if (existing) {
		rc = rk_fail(RK_ESTATE, "kernel '%s' already exists (%s): "
			     "terminate it first, or launch under another id",
			     id, rk_state_name(rk_kernel_state(existing)));
		pthread_rwlock_unlock(&rt->lock);
		return rc;
	}
	rc = new_kernel(rt, id, desc, o, &k);
	if (rc == RK_OK)
		k->backend = backend;
	if (rc == RK_OK && o->replicas > 1) {
		if ((rc = launch_replicas(k, o)) == RK_OK
		    && (rc = rk_kernel_table_add_locked(rt, k)) != RK_OK)
			stop_replicas(k);
	} else if (rc == RK_OK) {
		rc = rk_kernel_table_add_locked(rt, k);
		if (rc == RK_OK && (rc = start_kernel(k)) != RK_OK)
			rt->n_kernels--;
	}
	if (rc != RK_OK && k)
		rk_kernel_destroy(k);
	pthread_rwlock_unlock(&rt->lock);
	return rc;
}

/* Account active time for the throughput figure. */
static void set_host_state(rk_kernel *k, rk_state s)
{
	uint64_t now = rk_now_ns();

	/* Telemetry reads these without the lock. */
	if (k->active_since_ns) {
		__atomic_store_n(&k->active_ns,
				 k->active_ns + (now - k->active_since_ns),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&k->active_since_ns, 0, __ATOMIC_RELAXED);
	}
	if (s == RK_STATE_ACTIVE)
		__atomic_store_n(&k->active_since_ns, now, __ATOMIC_RELAXED);
	__atomic_store_n(&k->host_state, s, __ATOMIC_RELAXED);
}

static rk_error transition(rk_runtime *rt, const char *id, const char *op,
			   rk_state from, rk_state to)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);

	if (rc != RK_OK)
		return rc;
	pthread_mutex_lock(&k->lock);
	rk_state s = rk_kernel_state(k);
	if (s == RK_STATE_TERMINATED) {
		rc = rk_fail(RK_ENOTFOUND, "kernel '%s' not found", id);
	} else if (s != from) {
		rc = rk_fail_state(op, id, s);
	} else {
		bool acked = true;
		for (size_t i = 0; i < k->n_replicas; i++) {
			rk_kernel *r = k->replicas[i];
			pthread_mutex_lock(&r->lock);
			if (command(r, to, true))
				set_host_state(r, to);
			else
				acked = false;
			pthread_mutex_unlock(&r->lock);
		}
		if (!k->n_replicas && from == RK_STATE_LAUNCHED
		    && to == RK_STATE_ACTIVE)
			rk_device_link_plan(k);
		if (!k->n_replicas)
			acked = command(k, to, true);
		if (acked)
			set_host_state(k, to);
		else
			rc = rk_fail_state(op, id, RK_STATE_FAILED);
	}
	pthread_mutex_unlock(&k->lock);
	rk_kernel_put(k);
	return rc;
}

rk_error rk_activate(rk_runtime *rt, const char *id)
{
	return transition(rt, id, "activate", RK_STATE_LAUNCHED,
			  RK_STATE_ACTIVE);
}

rk_error rk_deactivate(rk_runtime *rt, const char *id)
{
	return transition(rt, id, "deactivate", RK_STATE_ACTIVE,
			  RK_STATE_DEACTIVATED);
}

rk_error rk_reactivate(rk_runtime *rt, const char *id)
{
	return transition(rt, id, "reactivate", RK_STATE_DEACTIVATED,
			  RK_STATE_ACTIVE);
}

static bool wait_finished(rk_kernel *k, uint64_t deadline)
{
	while (!executor_finished(k)) {
		uint32_t key = rk_event_prepare(&k->ack);
		if (executor_finished(k)) {
			rk_event_cancel(&k->ack, key);
			break;
		}
		if (!rk_event_wait(&k->ack, key, deadline))
			return executor_finished(k);
	}
	return true;
}

/* Stop the executor: close the inputs, let it drain (if it was active)
 * until the deadline, and collect what is left.  Under k->lock. */
/* A group stops replica by replica; its report is theirs added up. */
static rk_error stop_group(rk_kernel *k, double timeout,
			   rk_terminate_report *report)
{
	rk_terminate_report sum = { 0, 0, 0 }, one;
	rk_error rc = RK_OK;

	for (size_t i = 0; i < k->n_replicas; i++) {
		rk_kernel *r = k->replicas[i];
		pthread_mutex_lock(&r->lock);
		if (rk_kernel_state(r) != RK_STATE_TERMINATED) {
			rk_error one_rc = stop_kernel(r, timeout, &one);
			if (one_rc == RK_OK) {
				sum.drained += one.drained;
				sum.dropped_input += one.dropped_input;
				sum.unread_output += one.unread_output;
			} else if (rc == RK_OK) {
				rc = one_rc;
			}
		}
		pthread_mutex_unlock(&r->lock);
	}
	if (rc != RK_OK) {
		k->stuck = true;
		set_host_state(k, RK_STATE_TERMINATING);
		return rk_fail(rc, "kernel '%s' did not stop within %g s; it "
			       "stays TERMINATING", k->id, timeout);
	}
	k->report = sum;
	if (report)
		*report = sum;
	set_host_state(k, RK_STATE_TERMINATED);
	return RK_OK;
}

static rk_error stop_kernel(rk_kernel *k, double timeout,
			    rk_terminate_report *report)
{
	rk_state s = rk_kernel_state(k);
	uint64_t deadline = rk_deadline(timeout);

	if (k->n_replicas)
		return stop_group(k, timeout, report);

	if (s != RK_STATE_TERMINATING) {
		for (size_t i = 0; i < k->n_inputs; i++)
			rk_port_close(k->inputs[i]);
		k->cb.drain_deadline_ns = s == RK_STATE_ACTIVE ? deadline : 0;
		set_host_state(k, RK_STATE_TERMINATING);
		command(k, RK_STATE_TERMINATING, false);
	}
	uint64_t limit = deadline == UINT64_MAX ? deadline
						: deadline + TERMINATE_GRACE_NS;
	if (!wait_finished(k, limit)) {
		k->stuck = true;
		return rk_fail(RK_ETIMEDOUT,
			       "kernel '%s' did not stop within %g s; it stays "
			       "TERMINATING", k->id, timeout);
	}
	pthread_join(k->thread, NULL);
	k->thread_started = false;

	/* A failed executor left its input behind: count it here. */
	uint64_t left = 0;
	for (size_t i = 0; i < k->n_inputs; i++)
		left += rk_port_discard(k->inputs[i]);
	k->report.dropped_input += left;
	rk_port_close(k->output);
	k->report.unread_output = k->n_outputs && !k->keeps_output
				  ? 0 : rk_port_depth(k->output);
	if (report)
		*report = k->report;
	set_host_state(k, RK_STATE_TERMINATED);
	return RK_OK;
}

/* Terminate one kernel.  With `spare_stuck`, a kernel that already
 * missed a deadline is not waited for again: freeing the runtime, or
 * a server stopping, should not hang on a kernel that never returns. */
static rk_error terminate_one(rk_runtime *rt, const char *id, double timeout,
			      rk_terminate_report *report, bool spare_stuck)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);

	if (rc != RK_OK)
		return rc;
	pthread_mutex_lock(&k->lock);
	if (rk_kernel_state(k) == RK_STATE_TERMINATED)
		rc = rk_fail(RK_ENOTFOUND, "kernel '%s' not found", id);
	else
		rc = stop_kernel(k, spare_stuck && k->stuck ? 0 : timeout,
				 report);
	pthread_mutex_unlock(&k->lock);
	if (rc == RK_OK) {
		size_t index = 0;
		pthread_rwlock_wrlock(&rt->lock);
		if (rk_kernel_find_locked(rt, id, &index) == k) {
			rt->kernels[index] = rt->kernels[--rt->n_kernels];
			rk_kernel_put(k);       /* the table's reference */
		}
		pthread_rwlock_unlock(&rt->lock);
	}
	rk_kernel_put(k);
	return rc;
}

rk_error rk_terminate_ex(rk_runtime *rt, const char *id, double timeout,
			 rk_terminate_report *report)
{
	return terminate_one(rt, id, timeout, report, false);
}

rk_error rk_terminate(rk_runtime *rt, const char *id, double timeout)
{
	return terminate_one(rt, id, timeout, NULL, false);
}

static rk_error terminate_all(rk_runtime *rt, double timeout, bool spare_stuck)
{
	char **ids;
	size_t n;
	rk_error rc = rk_kernel_ids(rt, &ids, &n), first = RK_OK;
	char why[256] = "";

	if (rc != RK_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		rc = terminate_one(rt, ids[i], timeout, NULL, spare_stuck);
		if (rc != RK_OK && rc != RK_ENOTFOUND && first == RK_OK) {
			first = rc;
			strncpy(why, rk_errmsg(), sizeof(why) - 1);
		}
	}
	rk_free_ids(ids, n);
	if (first != RK_OK)
		return rk_fail(first, "%s", why);
	return RK_OK;
}

rk_error rk_terminate_all(rk_runtime *rt, double timeout)
{
	return terminate_all(rt, timeout, false);
}

rk_error rk_terminate_all_once(rk_runtime *rt, double timeout)
{
	return terminate_all(rt, timeout, true);
}
