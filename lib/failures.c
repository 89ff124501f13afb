/* failures.c - a runtime's kernels failing, told to whoever waits at
 * the end of a pipeline.
 *
 * The end of a pipeline never comes once a kernel in it has failed, so
 * a receiver there (rk_receive_pipeline) must hear of the failure
 * rather than poll every kernel.  Such a receiver, before it parks on
 * its output's event, puts that event on the runtime's watch list; a
 * kernel going FAILED counts itself and wakes every event on the list.
 * The count is written before the wake-ups, under the lock that the
 * list's readers take too, so a receiver that parks after the failure
 * sees the count, and one that parked before is woken.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "failures.h"
#include "kernel.h"
#include "runtime.h"

void rk_failures_init(rk_runtime *rt)
{
	pthread_mutex_init(&rt->failures.lock, NULL);
}

void rk_failures_destroy(rk_runtime *rt)
{
	pthread_mutex_destroy(&rt->failures.lock);
}

void rk_failures_note(rk_kernel *k)
{
	struct rk_failures *f = &k->rt->failures;

	pthread_mutex_lock(&f->lock);
	if (__atomic_load_n(&f->count, __ATOMIC_RELAXED) == 0) {
		pthread_mutex_lock(&k->error_lock);
		snprintf(f->first, sizeof(f->first), "kernel '%s' failed%s%s",
			 k->id, k->last_error[0] ? ": " : "", k->last_error);
		pthread_mutex_unlock(&k->error_lock);
	}
	__atomic_add_fetch(&f->count, 1, __ATOMIC_SEQ_CST);
	for (struct rk_failure_watch *w = f->watchers; w; w = w->next)
		rk_event_wake_all(w->ev);
	pthread_mutex_unlock(&f->lock);
}

bool rk_failures_watch(rk_runtime *rt, struct rk_failure_watch *w,
		       rk_event *ev)
{
	struct rk_failures *f = &rt->failures;

	w->ev = ev;
	pthread_mutex_lock(&f->lock);
	w->next = f->watchers;
	f->watchers = w;
	bool failed = __atomic_load_n(&f->count, __ATOMIC_RELAXED) != 0;
	pthread_mutex_unlock(&f->lock);
	return !failed;
}

void rk_failures_unwatch(rk_runtime *rt, struct rk_failure_watch *w)
{
	struct rk_failures *f = &rt->failures;

	pthread_mutex_lock(&f->lock);
	for (struct rk_failure_watch **p = &f->watchers; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&f->lock);
}

bool rk_failures_any(rk_runtime *rt)
{
	return __atomic_load_n(&rt->failures.count, __ATOMIC_SEQ_CST) != 0;
}

void rk_failures_first(rk_runtime *rt, char *buf, size_t size)
{
	pthread_mutex_lock(&rt->failures.lock);
	snprintf(buf, size, "%s", rt->failures.first);
	pthread_mutex_unlock(&rt->failures.lock);
}
