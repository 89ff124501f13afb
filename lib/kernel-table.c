/* kernel-table.c - the runtime's table of launched kernels: lookup by
 * id, the references every client call holds, the list of ids, and the
 * state as callers see it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "kernel-table.h"
#include "names.h"
#include "params.h"
#include "rk-error.h"

rk_kernel *rk_kernel_find_locked(rk_runtime *rt, const char *id,
				 size_t *index)
{
	for (size_t i = 0; i < rt->n_kernels; i++) {
		if (strcmp(rt->kernels[i]->id, id) == 0) {
			if (index)
				*index = i;
			return rt->kernels[i];
		}
	}
	return NULL;
}

rk_error rk_kernel_get(rk_runtime *rt, const char *id, rk_kernel **out)
{
	char shown[80];
	rk_error rc;

	*out = NULL;
	if (!rt || !id)
		return rk_fail(RK_EINVAL, "no runtime or no kernel id");
	if ((rc = rk_check_control("kernel id", id)) != RK_OK)
		return rc;
	pthread_rwlock_rdlock(&rt->lock);
	rk_kernel *k = rk_kernel_find_locked(rt, id, NULL);
	if (k)
		__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	pthread_rwlock_unlock(&rt->lock);
	*out = k;
	if (!k)
		return rk_fail(RK_ENOTFOUND, "kernel '%s' not found",
			       rk_escape(shown, sizeof(shown), id, strlen(id)));
	return RK_OK;
}

void rk_kernel_destroy(rk_kernel *k)
{
	for (size_t i = 0; i < k->n_replicas; i++)
		rk_kernel_put(k->replicas[i]);
	free(k->replicas);
	free(k->out_groups);
	free(k->in_groups);
	free(k->in_group_of);
	if (k->thread_started)
		pthread_join(k->thread, NULL);
	k->ops->release(k);
	if (k->initialized && k->desc->fini)
		k->desc->fini(k->state);
	free(k->own_desc);
	rk_params_free(k->params);
	for (size_t i = 0; i < k->n_inputs; i++)
		rk_port_unref(k->inputs[i]);
	for (size_t i = 0; i < k->n_outputs; i++)
		rk_port_unref(k->outputs[i]);
	rk_port_unref(k->output);
	free(k->inputs);
	free(k->outputs);
	free(k->convert_buf);
	rk_bell_unref(k->bell);
	pthread_mutex_destroy(&k->lock);
	pthread_mutex_destroy(&k->error_lock);
	pthread_mutex_destroy(&k->send_lock);
	pthread_mutex_destroy(&k->recv_lock);
	free(k->id);
	free(k);
}

void rk_kernel_put(rk_kernel *k)
{
	if (k && __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0)
		rk_kernel_destroy(k);
}

rk_state rk_kernel_state(rk_kernel *k)
{
	for (size_t i = 0; i < k->n_replicas; i++)
		if (rk_kernel_state(k->replicas[i]) == RK_STATE_FAILED)
			return RK_STATE_FAILED;
	if (__atomic_load_n(&k->cb.finished, __ATOMIC_ACQUIRE)
	    && __atomic_load_n(&k->cb.run_state, __ATOMIC_RELAXED)
	       == RK_STATE_FAILED)
		return RK_STATE_FAILED;
	return __atomic_load_n(&k->host_state, __ATOMIC_RELAXED);
}

rk_error rk_kernel_table_add_locked(rk_runtime *rt, rk_kernel *k)
{
	if (rt->n_kernels == rt->cap_kernels) {
		size_t cap = rt->cap_kernels ? 2 * rt->cap_kernels : 16;
		rk_kernel **t = realloc(rt->kernels, cap * sizeof(*t));
		if (!t)
			return rk_fail(RK_ENOMEM, "out of memory");
		rt->kernels = t;
		rt->cap_kernels = cap;
	}
	rt->kernels[rt->n_kernels++] = k;
	return RK_OK;
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static rk_error collect_ids(rk_runtime *rt, bool active_only, char ***out,
			    size_t *count)
{
	if (!rt || !out || !count)
		return rk_fail(RK_EINVAL, "no runtime or no place for the ids");
	*out = NULL;
	*count = 0;
	pthread_rwlock_rdlock(&rt->lock);
	char **ids = calloc(rt->n_kernels + 1, sizeof(*ids));
	size_t n = 0;
	for (size_t i = 0; ids && i < rt->n_kernels; i++) {
		rk_kernel *k = rt->kernels[i];
		rk_state s = rk_kernel_state(k);
		if (s == RK_STATE_TERMINATED
		    || (active_only && s != RK_STATE_ACTIVE))
			continue;
		if (!(ids[n] = strdup(k->id))) {
			rk_free_ids(ids, n);
			ids = NULL;
			break;
		}
		n++;
	}
	pthread_rwlock_unlock(&rt->lock);
	if (!ids)
		return rk_fail(RK_ENOMEM, "out of memory");
	qsort(ids, n, sizeof(*ids), compare_ids);
	*out = ids;
	*count = n;
	return RK_OK;
}

rk_error rk_kernel_ids(rk_runtime *rt, char ***ids, size_t *count)
{
	return collect_ids(rt, false, ids, count);
}

rk_error rk_active_kernels(rk_runtime *rt, char ***ids, size_t *count)
{
	return collect_ids(rt, true, ids, count);
}

void rk_free_ids(char **ids, size_t count)
{
	for (size_t i = 0; ids && i < count; i++)
		free(ids[i]);
	free(ids);
}

/* ---- who feeds whom ------------------------------------------------- */

/* The ports a kernel writes to, or reads from: its own, or its
 * replicas' (a replicated kernel is a group of them). */
static bool has_port(const rk_kernel *k, const rk_port *p, bool outputs)
{
	if (k->n_replicas) {
		for (size_t r = 0; r < k->n_replicas; r++)
			if (has_port(k->replicas[r], p, outputs))
				return true;
		return false;
	}
	rk_port *const *ports = outputs ? k->outputs : k->inputs;
	size_t n = outputs ? k->n_outputs : k->n_inputs;
	for (size_t i = 0; i < n; i++)
		if (ports[i] == p)
			return true;
	return false;
}

bool rk_kernel_feeds_locked(const rk_kernel *from, const rk_kernel *to)
{
	size_t copies = from->n_replicas ? from->n_replicas : 1;

	for (size_t r = 0; r < copies; r++) {
		const rk_kernel *one = from->n_replicas ? from->replicas[r] : from;
		for (size_t i = 0; i < one->n_outputs; i++)
			if (has_port(to, one->outputs[i], false))
				return true;
	}
	return false;
}

rk_error rk_kernel_feeds(rk_runtime *rt, const char *id, char ***out,
			 size_t *count)
{
	if (!rt || !id || !out || !count)
		return rk_fail(RK_EINVAL, "no runtime, id or place for the ids");
	*out = NULL;
	*count = 0;
	pthread_rwlock_rdlock(&rt->lock);
	rk_kernel *from = rk_kernel_find_locked(rt, id, NULL);
	char **ids = from ? calloc(rt->n_kernels + 1, sizeof(*ids)) : NULL;
	size_t n = 0;
	bool ok = ids != NULL;
	for (size_t i = 0; ok && i < rt->n_kernels; i++) {
		rk_kernel *to = rt->kernels[i];
		if (to == from || !rk_kernel_feeds_locked(from, to))
			continue;
		ok = (ids[n++] = strdup(to->id)) != NULL;
	}
	pthread_rwlock_unlock(&rt->lock);
	if (!from)
		return rk_fail(RK_ENOTFOUND, "kernel '%s' not found", id);
	if (!ok) {
		rk_free_ids(ids, n);
		return rk_fail(RK_ENOMEM, "out of memory");
	}
	qsort(ids, n, sizeof(*ids), compare_ids);
	*out = ids;
	*count = n;
	return RK_OK;
}
