/* messaging.c - clients sending to and receiving from kernels, and
 * kernels wired to kernels. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fault.h"
#include "spin.h"
#include "replicas.h"
#include "rk-error.h"
#include "runtime.h"
#include "types.h"
#include "kernel-table.h"

/* Clients of one kernel take its send lock (replicas) or its output's
 * consumer lock among themselves, also across a wait for room or a
 * receiver's callback (messages are taken in place, not copied); one
 * waits for another only until its own deadline.  No kernel ever waits
 * for them. */
static bool lock_until(pthread_mutex_t *m, uint64_t deadline)
{
	if (deadline == UINT64_MAX) {
		pthread_mutex_lock(m);
		return true;
	}
	/* pthread_mutex_timedlock counts in CLOCK_REALTIME (the sanitizers
	 * know it; pthread_mutex_clocklock they do not). */
	struct timespec ts;
	uint64_t now = rk_now_ns();
	uint64_t left = deadline > now ? deadline - now : 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	left += (uint64_t)ts.tv_nsec;
	ts.tv_sec += (time_t)(left / 1000000000u);
	ts.tv_nsec = (long)(left % 1000000000u);
	return pthread_mutex_timedlock(m, &ts) == 0;
}

static bool can_send(rk_state s)
{
	return s == RK_STATE_ACTIVE || s == RK_STATE_DEACTIVATED;
}

/* Receiving also drains what a failing or stopping kernel produced. */
static bool can_receive(rk_state s)
{
	return s == RK_STATE_ACTIVE || s == RK_STATE_DEACTIVATED
	       || s == RK_STATE_TERMINATING || s == RK_STATE_FAILED;
}

static rk_error not_now(const char *op, rk_kernel *k)
{
	rk_state s = rk_kernel_state(k);

	return rk_fail(RK_ESTATE, "cannot %s kernel '%s' in state '%s'%s", op,
		       k->id, rk_state_name(s), s == RK_STATE_LAUNCHED
		       ? ": activate it first" : "");
}

/* Spin (spin.h), then park until there is room or the deadline. */
static bool wait_room(rk_port *p, uint8_t flags, uint32_t spin_ns,
		      uint64_t deadline)
{
	rk_spin sp;

	rk_spin_init(&sp, spin_ns, deadline);
	do {
		if (rk_port_has_room(p, flags))
			return true;
	} while (rk_spin_again(&sp));
	return rk_port_wait_room(p, flags, deadline);
}

/* A client's pushes, under producer_lock: accepted, then lost to the
 * kernel stopping meanwhile, they count as dropped at its queue. */
static void publish(rk_port *p)
{
	uint64_t lost = rk_port_publish(p);

	if (lost)
		__atomic_store_n(&p->dropped, p->dropped + lost,
				 __ATOMIC_RELAXED);
}

static rk_error push_failed(rk_kernel *k, rk_error rc, size_t len)
{

	switch (rc) {
	case RK_EFULL:
		return rk_fail(rc, "queue of kernel '%s' is full (%llu messages)",
			       k->id, (unsigned long long)k->input->capacity);
	case RK_ESCHEMA:
		return rk_fail(rc, "message of %zu bytes exceeds the %u-byte "
			       "limit of kernel '%s'", len,
			       k->input->max_payload, k->id);
	case RK_ESTATE:
		return not_now("send to", k);
	default:
		return rk_fail(rc, "cannot send to kernel '%s': %s", k->id,
			       rk_strerror(rc));
	}
}

/* Queue messages [*done, count) under the input's policy, waiting for
 * room until the deadline; wakes the kernel once per run of pushes. */
static rk_error push_port(rk_kernel *k, rk_envelope *envs,
			  const void *const *msgs, const size_t *lens,
			  size_t count, uint64_t deadline, size_t *done,
			  uint8_t flags)
{
	rk_port *p = k->input;
	rk_error rc = RK_OK;
	rk_envelope env = { .priority = RK_PRIORITY_DEFAULT };

	while (*done < count) {
		size_t before = *done;
		uint64_t now = rk_now_ns();
		pthread_mutex_lock(&p->producer_lock);
		while (*done < count) {
			rk_envelope *e = envs ? &envs[*done] : &env;
			if (!envs)
				env = (rk_envelope){ .priority =
						     RK_PRIORITY_DEFAULT };
			rc = rk_port_try_push(p, e, msgs[*done], lens[*done],
					      flags, now);
			if (rc != RK_OK)
				break;
			++*done;
		}
		publish(p);
		pthread_mutex_unlock(&p->producer_lock);
		if (*done > before)
			rk_port_notify(p);
		if (rc == RK_OK)
			break;
		/* An end waits for room whatever the policy. */
		if (rc != RK_EFULL || (p->policy != RK_BP_BLOCK && !flags)
		    || rk_now_ns() >= deadline
		    || !wait_room(p, flags, k->spin_ns, deadline))
			return push_failed(k, rc, lens[*done]);
	}
	return RK_OK;
}

/* Room for `n` more in every replica: then a whole round of messages
 * goes out without waiting.  Only this sender fills these ports (under
 * send_lock), so the room can only grow. */
static bool rooms(rk_kernel *g, uint64_t n)
{
	for (size_t i = 0; i < g->n_replicas; i++) {
		rk_port *p = g->replicas[i]->input;
		if (rk_port_depth(p) + n > p->capacity || rk_port_is_closed(p))
			return false;
	}
	return true;
}

/* Deal messages [*done, *done + n * N) out in turn, n to each replica,
 * one lock and one wake-up per replica. */
static rk_error deal_round(rk_kernel *g, rk_envelope *envs,
			   const void *const *msgs, const size_t *lens,
			   size_t n, size_t *done)
{
	size_t N = g->n_replicas;
	uint64_t now = rk_now_ns();
	rk_error rc = RK_OK;

	for (size_t i = 0; i < N && rc == RK_OK; i++) {
		rk_kernel *r = g->replicas[(g->send_next + i) % N];
		rk_port *p = r->input;
		pthread_mutex_lock(&p->producer_lock);
		for (size_t j = 0; j < n && rc == RK_OK; j++) {
			size_t m = *done + i + j * N;
			rk_envelope env = { .priority = RK_PRIORITY_DEFAULT };
			rc = rk_port_try_push(p, envs ? &envs[m] : &env, msgs[m],
					      lens[m], 0, now);
		}
		publish(p);
		pthread_mutex_unlock(&p->producer_lock);
		rk_port_notify(p);
	}
	if (rc == RK_OK)
		*done += n * N;
	return rc;
}

/* A replicated kernel takes message g on replica g mod N, in turn, so
 * that the merge of their outputs restores the order; the end goes to
 * every replica.  Whole rounds go out at once where there is room;
 * otherwise one message at a time, waiting as the policy says. */
static rk_error push_group(rk_kernel *g, rk_envelope *envs,
			   const void *const *msgs, const size_t *lens,
			   size_t count, uint64_t deadline, size_t *done,
			   uint8_t flags)
{
	size_t N = g->n_replicas;
	rk_error rc = RK_OK;

	if (g->replicas[0]->n_inputs > 1)
		return rk_fail(RK_EINVAL, "%s",
			       rk_replicas_fan_in_why(g->id, "another kernel"));
	if (!lock_until(&g->send_lock, deadline))
		return rk_fail(RK_EFULL, "queue of kernel '%s' is full "
			       "(another client waits for room)", g->id);
	if (flags & RK_SLOT_END_OF_STREAM) {
		for (size_t i = 0; i < N && rc == RK_OK; i++) {
			size_t one = 0;
			rc = push_port(g->replicas[i], envs, msgs, lens, 1,
				       deadline, &one, flags);
		}
		*done = rc == RK_OK;
	}
	while (!flags && *done < count && rc == RK_OK) {
		size_t n = (count - *done) / N;
		if (n > 64)
			n = 64;
		if (n && rooms(g, n)) {
			rc = deal_round(g, envs, msgs, lens, n, done);
			continue;
		}
		rk_kernel *r = g->replicas[g->send_next];
		size_t one = 0;
		rc = push_port(r, envs ? &envs[*done] : NULL, &msgs[*done],
			       &lens[*done], 1, deadline, &one, flags);
		if (rc == RK_OK) {
			++*done;
			g->send_next = (g->send_next + 1) % N;
		}
	}
	pthread_mutex_unlock(&g->send_lock);
	return rc;
}

/* A kernel may call this too: a fault in here (a bad pointer it
 * passed, copied while the send lock is held) is not its own. */
static rk_error push_many(rk_kernel *k, rk_envelope *envs,
			  const void *const *msgs, const size_t *lens,
			  size_t count, uint64_t deadline, size_t *done,
			  uint8_t flags)
{
	bool was = rk_fault_runtime_enter();
	rk_error rc = k->n_replicas
		? push_group(k, envs, msgs, lens, count, deadline, done, flags)
		: push_port(k, envs, msgs, lens, count, deadline, done, flags);
	rk_fault_runtime_leave(was);
	return rc;
}

static rk_error send_to(rk_kernel *k, rk_envelope *env, const void *msg,
		       size_t len, double timeout)
{
	size_t done = 0;

	if (!can_send(rk_kernel_state(k)))
		return not_now("send to", k);
	return push_many(k, env, &msg, &len, 1, rk_deadline(timeout), &done,
			 0);
}

rk_error rk_send_env(rk_runtime *rt, const char *id, rk_envelope *env,
		     const void *msg, size_t len, double timeout)
{
	rk_kernel *k;
	rk_error rc;

	if (!msg && len)
		return rk_fail(RK_EINVAL, "no message");
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	rc = send_to(k, env, msg, len, timeout);
	rk_kernel_put(k);
	return rc;
}

/* ---- handles: a kernel looked up once ------------------------------- */

struct rk_handle {
	rk_kernel *k;                   /* referenced */
};

rk_error rk_handle_get(rk_runtime *rt, const char *id, rk_handle **out)
{
	rk_kernel *k;
	rk_error rc;

	if (!out)
		return rk_fail(RK_EINVAL, "no place for the handle");
	*out = NULL;
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	rk_handle *h = malloc(sizeof(*h));
	if (!h) {
		rk_kernel_put(k);
		return rk_fail(RK_ENOMEM, "out of memory");
	}
	h->k = k;
	*out = h;
	return RK_OK;
}

void rk_handle_release(rk_handle *h)
{
	if (!h)
		return;
	rk_kernel_put(h->k);
	free(h);
}

rk_error rk_send_to(rk_handle *h, rk_envelope *env, const void *msg,
		    size_t len, double timeout)
{
	if (!h)
		return rk_fail(RK_EINVAL, "no kernel handle");
	if (!msg && len)
		return rk_fail(RK_EINVAL, "no message");
	return send_to(h->k, env, msg, len, timeout);
}

rk_error rk_send(rk_runtime *rt, const char *id, const void *msg, size_t len,
		 double timeout)
{
	return rk_send_env(rt, id, NULL, msg, len, timeout);
}

rk_error rk_expect_input(rk_runtime *rt, const char *id)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);

	if (rc != RK_OK)
		return rc;
	/* A group's replicas each end on their own inputs. */
	__atomic_store_n(&k->input->used, true, __ATOMIC_RELAXED);
	for (size_t i = 0; i < k->n_replicas; i++)
		__atomic_store_n(&k->replicas[i]->input->used, true,
				 __ATOMIC_RELAXED);
	rk_kernel_put(k);
	return RK_OK;
}

rk_error rk_send_end(rk_runtime *rt, const char *id, double timeout)
{
	rk_envelope env = { .priority = 0 };    /* after everything else */
	const void *none = NULL;
	size_t zero = 0, done = 0;
	rk_kernel *k;
	rk_error rc;

	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	if (!can_send(rk_kernel_state(k)))
		rc = not_now("end the input of", k);
	else
		rc = push_many(k, &env, &none, &zero, 1, rk_deadline(timeout),
			       &done, RK_SLOT_END_OF_STREAM);
	rk_kernel_put(k);
	return rc;
}

rk_error rk_send_batch(rk_runtime *rt, const char *id, const void *const *msgs,
		       const size_t *lens, size_t count, double timeout,
		       size_t *sent)
{
	rk_kernel *k;
	size_t done = 0;
	rk_error rc;

	if (sent)
		*sent = 0;
	if (count && (!msgs || !lens))
		return rk_fail(RK_EINVAL, "no messages");
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	if (!can_send(rk_kernel_state(k)))
		rc = not_now("send to", k);
	else
		rc = push_many(k, NULL, msgs, lens, count, rk_deadline(timeout),
			       &done, 0);
	rk_kernel_put(k);
	if (sent)
		*sent = done;
	return rc;
}

static bool output_ready(rk_port *p)
{
	return rk_port_depth(p) > 0 || rk_port_is_closed(p);
}

/* Spin, then park on the output's doorbell until a message or the
 * deadline. */
/* Wait for output; with a runtime to watch, also for one of its
 * kernels to fail (failures.c). */
static void wait_output(rk_port *p, uint32_t spin_ns, uint64_t deadline,
			rk_runtime *watch)
{
	struct rk_failure_watch w;
	rk_spin sp;

	rk_spin_init(&sp, spin_ns, deadline);
	do {
		if (output_ready(p))
			return;
	} while (rk_spin_again(&sp));
	if (watch && !rk_failures_watch(watch, &w, p->data)) {
		rk_failures_unwatch(watch, &w);
		return;
	}
	uint32_t key = rk_event_prepare(p->data);
	if (output_ready(p) || (watch && rk_failures_any(watch)))
		rk_event_cancel(p->data, key);
	else
		rk_event_wait(p->data, key, deadline);
	if (watch)
		rk_failures_unwatch(watch, &w);
}

static void envelope_of(rk_envelope *env, const rk_slot_header *h)
{
	*env = (rk_envelope){
		.message_id = h->message_id,
		.correlation_id = h->correlation_id,
		.enqueue_ns = h->enqueue_ns,
		.type_tag = h->type_tag,
		.priority = h->priority,
	};
}

/* Between rk_port_take and the caller's rk_receive_fn.  The end of the
 * output stays queued, so every later receive sees it too. */
struct take_args {
	rk_receive_fn fn;
	void *arg;
	bool end;
};

static int take_one(void *arg, const rk_slot_header *h)
{
	struct take_args *t = arg;
	rk_envelope env;

	if (h->flags & RK_SLOT_END_OF_STREAM) {
		t->end = true;
		return 1;
	}
	envelope_of(&env, h);
	return t->fn(t->arg, &env, h + 1, h->length);
}

/* Hand up to max ready messages to fn under the consumer lock, waking
 * the producer once.  *taken counts them; returns true where fn said
 * stop, or the output ended (*end). */
static bool take_output(rk_port *p, size_t max, rk_receive_fn fn, void *arg,
			size_t *taken, bool *end, uint64_t deadline)
{
	struct take_args t = { fn, arg, false };
	bool stopped = false;

	*end = false;
	if (!lock_until(&p->consumer_lock, deadline))
		return false;
	rk_port_trim(p);
	*taken += rk_port_take(p, max - *taken, take_one, &t, &stopped);
	pthread_mutex_unlock(&p->consumer_lock);
	if (*taken)
		rk_port_notify_space(p);
	*end = t.end;
	return stopped;
}

/* A replicated kernel's output: each replica's in turn, a marker ending
 * each message's part, so the order of the input comes back.  The end
 * of the replica whose turn it is ends them all. */
static bool take_group(rk_kernel *g, size_t max, rk_receive_fn fn, void *arg,
		       size_t *taken, bool *end, uint64_t deadline)
{
	bool stopped = false;
	rk_envelope env;
	int band;

	*end = false;
	if (!lock_until(&g->recv_lock, deadline))
		return false;
	while (*taken < max && !stopped && !*end) {
		rk_port *p = g->replicas[g->recv_next]->output;
		pthread_mutex_lock(&p->consumer_lock);
		rk_slot_header *h = rk_port_peek(p, &band);
		if (!h) {
			pthread_mutex_unlock(&p->consumer_lock);
			break;
		}
		if (h->flags & RK_SLOT_MARKER) {
			rk_port_release(p, band);
			__atomic_store_n(&g->recv_next,
					 (g->recv_next + 1) % g->n_replicas,
					 __ATOMIC_RELAXED);
		} else if (h->flags & RK_SLOT_END_OF_STREAM) {
			*end = !rk_port_higher_ready(p, band);
		} else {
			envelope_of(&env, h);
			if (fn(arg, &env, h + 1, h->length) != 0) {
				stopped = true;
			} else {
				rk_port_release(p, band);
				++*taken;
			}
		}
		pthread_mutex_unlock(&p->consumer_lock);
	}
	pthread_mutex_unlock(&g->recv_lock);
	return stopped || *end;
}

/* A kernel's output can be received when it feeds nobody, or keeps a
 * copy of what it feeds. */
static bool receivable(const rk_kernel *k)
{
	const rk_kernel *one = k->n_replicas ? k->replicas[0] : k;
	return one->n_outputs == 0 || one->keeps_output;
}

/* Where a receiver waits for the next message of a kernel. */
static rk_port *output_of(rk_kernel *k)
{
	if (!k->n_replicas)
		return k->output;
	/* Not under recv_lock: a receiver holds it around its callback. */
	size_t next = __atomic_load_n(&k->recv_next, __ATOMIC_RELAXED);
	return k->replicas[next]->output;
}

static rk_error receive_unguarded(rk_runtime *rt, const char *id,
				  size_t max, double timeout, rk_receive_fn fn,
				  void *arg, size_t *count, bool watch);

/* As push_many: what a kernel receives is copied under the lock. */
static rk_error receive(rk_runtime *rt, const char *id, size_t max,
			double timeout, rk_receive_fn fn, void *arg,
			size_t *count, bool watch)
{
	bool was = rk_fault_runtime_enter();
	rk_error rc = receive_unguarded(rt, id, max, timeout, fn, arg, count,
					watch);
	rk_fault_runtime_leave(was);
	return rc;
}

static rk_error failed_pipeline(rk_runtime *rt)
{
	char why[256];

	rk_failures_first(rt, why, sizeof(why));
	return rk_fail(RK_EKERNEL, "%s", why);
}

static rk_error receive_from(rk_runtime *rt, rk_kernel *k, size_t max,
			     double timeout, rk_receive_fn fn, void *arg,
			     size_t *count, bool watch);

/* The receive loop, by id. */
static rk_error receive_unguarded(rk_runtime *rt, const char *id,
				  size_t max, double timeout, rk_receive_fn fn,
				  void *arg, size_t *count, bool watch)
{
	rk_kernel *k;
	rk_error rc;

	*count = 0;
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	rc = receive_from(rt, k, max, timeout, fn, arg, count, watch);
	rk_kernel_put(k);
	return rc;
}

/* Wait for output, then take up to max. */
static rk_error receive_from(rk_runtime *rt, rk_kernel *k, size_t max,
			     double timeout, rk_receive_fn fn, void *arg,
			     size_t *count, bool watch)
{
	const char *id = k->id;
	rk_error rc = RK_OK;
	uint64_t deadline = rk_deadline(timeout);

	*count = 0;
	if (!can_receive(rk_kernel_state(k)))
		rc = not_now("receive from", k);
	else if (!receivable(k))
		rc = rk_fail(RK_ESTATE, "kernel '%s' sends its output to other "
			     "kernels: receive from the last of them", k->id);
	while (rc == RK_OK) {
		bool end;
		bool stop = k->n_replicas
			? take_group(k, max, fn, arg, count, &end, deadline)
			: take_output(k->output, max, fn, arg, count, &end,
				      deadline);
		if (stop || *count) {
			if (end && !*count)
				rc = rk_fail(RK_EEND, "end of the output of "
					     "kernel '%s'", id);
			break;
		}
		rk_port *out = output_of(k);
		if (rk_port_is_closed(out))
			rc = rk_fail(RK_ENOTFOUND, "kernel '%s' not found", id);
		else if (watch && rk_failures_any(rt))
			rc = failed_pipeline(rt);
		else if (rk_now_ns() >= deadline)
			rc = rk_fail(RK_ETIMEDOUT, "no message from kernel '%s' "
				     "within %g s", id, timeout);
		else
			wait_output(out, k->spin_ns, deadline,
				    watch ? rt : NULL);
	}
	return rc;
}
/* rk_receive_env: copy one message out, or say how big it is. */
struct copy_out {
	rk_envelope *env;
	void *buf;
	size_t cap;
	size_t *len;
	rk_error rc;
};

static int copy_one(void *arg, const rk_envelope *env, const void *data,
		    size_t len)
{
	struct copy_out *c = arg;

	if (c->len)
		*c->len = len;
	if (len > c->cap) {
		c->rc = rk_fail(RK_ESCHEMA, "message of %zu bytes does not fit "
				"the %zu-byte buffer", len, c->cap);
		return 1;
	}
	if (len)
		memcpy(c->buf, data, len);
	if (c->env)
		*c->env = *env;
	return 0;
}

rk_error rk_receive_env(rk_runtime *rt, const char *id, rk_envelope *env,
			void *buf, size_t cap, size_t *len, double timeout)
{
	struct copy_out c = { env, buf, cap, len, RK_OK };
	size_t count;

	if (!buf && cap)
		return rk_fail(RK_EINVAL, "no buffer");
	rk_error rc = receive(rt, id, 1, timeout, copy_one, &c, &count, false);
	return rc != RK_OK ? rc : c.rc;
}

/* ---- an event loop's doorbell ---------------------------------------- */

/* The ports a receiver of k takes from: its output, or each replica's. */
static size_t n_ports(const rk_kernel *k)
{
	return k->n_replicas ? k->n_replicas : 1;
}

static rk_port *port_of(rk_kernel *k, size_t i)
{
	return k->n_replicas ? k->replicas[i]->output : k->output;
}

static rk_error watchable(rk_runtime *rt, const char *id, rk_kernel **k)
{
	rk_error rc = rk_kernel_get(rt, id, k);

	if (rc != RK_OK)
		return rc;
	if (receivable(*k))
		return RK_OK;
	rc = rk_fail(RK_ESTATE, "kernel '%s' sends its output to other "
		     "kernels: receive from the last of them", (*k)->id);
	rk_kernel_put(*k);
	return rc;
}

rk_error rk_output_notify_fd(rk_runtime *rt, const char *id, int fd)
{
	rk_kernel *k;
	rk_error rc;

	/* Written by the kernel's thread under a lock: a write that could
	 * block would hold it, and the kernel, for ever. */
	if (fd >= 0) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0)
			return rk_fail(RK_EINVAL, "descriptor %d: %s", fd,
				       strerror(errno));
		if (!(fl & O_NONBLOCK))
			return rk_fail(RK_EINVAL, "descriptor %d is not "
				       "non-blocking (O_NONBLOCK)", fd);
	}
	if ((rc = watchable(rt, id, &k)) != RK_OK)
		return rc;
	for (size_t i = 0; i < n_ports(k); i++)
		rk_port_watch(port_of(k, i), fd < 0 ? -1 : fd);
	rk_kernel_put(k);
	return RK_OK;
}

rk_error rk_output_arm(rk_runtime *rt, const char *id, int *ready)
{
	rk_kernel *k;
	rk_error rc;

	if (!ready)
		return rk_fail(RK_EINVAL, "no place for the answer");
	if ((rc = watchable(rt, id, &k)) != RK_OK)
		return rc;
	/* Every replica's: the turn may pass to any of them meanwhile. */
	for (size_t i = 0; i < n_ports(k); i++)
		(void)rk_port_arm(port_of(k, i));
	rk_port *next = output_of(k);
	*ready = rk_port_depth(next) > 0 || rk_port_is_closed(next);
	rk_kernel_put(k);
	return RK_OK;
}

rk_error rk_receive_from(rk_handle *h, rk_envelope *env, void *buf,
			 size_t cap, size_t *len, double timeout)
{
	struct copy_out c = { env, buf, cap, len, RK_OK };
	size_t count;

	if (!h)
		return rk_fail(RK_EINVAL, "no kernel handle");
	if (!buf && cap)
		return rk_fail(RK_EINVAL, "no buffer");
	bool was = rk_fault_runtime_enter();
	rk_error rc = receive_from(h->k->rt, h->k, 1, timeout, copy_one, &c,
				   &count, false);
	rk_fault_runtime_leave(was);
	return rc != RK_OK ? rc : c.rc;
}

rk_error rk_receive(rk_runtime *rt, const char *id, void *buf, size_t cap,
		    size_t *len, double timeout)
{
	return rk_receive_env(rt, id, NULL, buf, cap, len, timeout);
}

rk_error rk_send_json(rk_runtime *rt, const char *id, const char *json,
		      size_t len, double timeout)
{
	char small[4096];
	const rk_type *type;
	rk_kernel *k;
	size_t n;
	rk_error rc;

	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	type = k->desc->input_type;
	rk_kernel_put(k);
	if (!type)
		return rk_send(rt, id, json, len, timeout);
	size_t cap = type->fields ? type->size : len;
	char *buf = cap <= sizeof(small) ? small : malloc(cap);
	if (!buf)
		return rk_fail(RK_ENOMEM, "out of memory");
	rc = rk_json_decode(type, json, len, len, buf, cap, &n);
	if (rc == RK_OK)
		rc = rk_send(rt, id, buf, n, timeout);
	if (buf != small)
		free(buf);
	return rc;
}

/* rk_receive_json: encode one reply straight from its slot. */
struct encode_out {
	const rk_type *type;
	char *buf;
	size_t cap;
	size_t *len;
	rk_error rc;
};

static int encode_one(void *arg, const rk_envelope *env, const void *data,
		      size_t len)
{
	struct encode_out *e = arg;
	size_t n = len;

	if (e->type && e->type->fields)
		e->rc = rk_json_encode(e->type, data, len, e->buf, e->cap, &n);
	else if (len > e->cap)
		e->rc = rk_fail(RK_ESCHEMA, "message of %zu bytes does not fit "
				"the %zu-byte buffer", len, e->cap);
	else
		memcpy(e->buf, data, len);
	if (e->len)
		*e->len = n;
	return e->rc != RK_OK;
}

rk_error rk_receive_json(rk_runtime *rt, const char *id, char *buf, size_t cap,
			 size_t *len, double timeout)
{
	struct encode_out e = { NULL, buf, cap, len, RK_OK };
	rk_kernel *k;
	size_t count;
	rk_error rc;

	if (!buf && cap)
		return rk_fail(RK_EINVAL, "no buffer");
	if ((rc = rk_kernel_get(rt, id, &k)) != RK_OK)
		return rc;
	e.type = k->desc->output_type;
	rk_kernel_put(k);
	rc = receive(rt, id, 1, timeout, encode_one, &e, &count, false);
	return rc != RK_OK ? rc : e.rc;
}

rk_error rk_receive_lost(rk_runtime *rt, const char *id, uint64_t count,
			 const char *why)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);
	char msg[192];

	if (rc != RK_OK)
		return rc;
	if (count) {
		/* The receivers' side of the output counts it, under the
		 * lock they share. */
		rk_kernel *one = k->n_replicas ? k->replicas[0] : k;
		rk_port *p = one->output;
		pthread_mutex_lock(&p->consumer_lock);
		__atomic_store_n(&p->trimmed, p->trimmed + count,
				 __ATOMIC_RELAXED);
		pthread_mutex_unlock(&p->consumer_lock);
		snprintf(msg, sizeof(msg), "%llu repl%s taken but not "
			 "delivered: %s", (unsigned long long)count,
			 count == 1 ? "y" : "ies", why ? why : "lost");
		rk_kernel_set_error(one, RK_EKERNEL, msg);
	}
	rk_kernel_put(k);
	return RK_OK;
}

/* A batch handed to fn; with `watch`, also ended by a failed kernel. */
static rk_error receive_batch(rk_runtime *rt, const char *id, size_t max,
			      double timeout, rk_receive_fn fn, void *arg,
			      size_t *count, bool watch)
{
	size_t dummy;

	if (!count)
		count = &dummy;
	*count = 0;
	if (!fn || max == 0)
		return rk_fail(RK_EINVAL, "no callback or no room");
	return receive(rt, id, max, timeout, fn, arg, count, watch);
}

rk_error rk_receive_batch(rk_runtime *rt, const char *id, size_t max,
			  double timeout, rk_receive_fn fn, void *arg,
			  size_t *count)
{
	return receive_batch(rt, id, max, timeout, fn, arg, count, false);
}

rk_error rk_receive_pipeline(rk_runtime *rt, const char *id, size_t max,
			     double timeout, rk_receive_fn fn, void *arg,
			     size_t *count)
{
	return receive_batch(rt, id, max, timeout, fn, arg, count, true);
}

static rk_error append_port(rk_port ***array, size_t *n, rk_port *p)
{
	rk_port **a = realloc(*array, (*n + 1) * sizeof(**array));

	if (!a)
		return rk_fail(RK_ENOMEM, "out of memory");
	a[(*n)++] = p;
	*array = a;
	return RK_OK;
}

/* A new edge from one kernel (a replica, perhaps) into another: a port
 * of to's, with to's capacity and policy, converting where the types
 * call for it.  `group` is to's input group it joins, or -1. */
static rk_error add_edge(rk_runtime *rt, rk_kernel *from, rk_kernel *to,
			 int group)
{
	const rk_type *out = from->desc->output_type, *in = to->desc->input_type;
	bool convert = out && in && rk_type_is_json(out) != rk_type_is_json(in);
	int *of = realloc(to->in_group_of, (to->n_inputs + 1) * sizeof(*of));
	rk_out_group *og = realloc(from->out_groups,
				   (from->n_out_groups + 1) * sizeof(*og));

	if (of)
		to->in_group_of = of;
	if (og)
		from->out_groups = og;
	rk_port *p = of && og ? rk_runtime_new_port(rt, to->input->capacity,
						    to->input->max_payload,
						    to->input->policy,
						    to->bell) : NULL;
	if (!p)
		return rk_fail(RK_ENOMEM, "out of memory");
	if (convert) {
		p->convert_from = out;
		p->convert_to = in;
	}
	if (to->n_inputs == 1)
		to->in_group_of[0] = -1;
	rk_error rc = append_port(&to->inputs, &to->n_inputs, p);
	if (rc != RK_OK) {
		rk_port_unref(p);
		return rc;
	}
	to->in_group_of[to->n_inputs - 1] = group;
	rk_port_ref(p);
	if ((rc = append_port(&from->outputs, &from->n_outputs, p)) != RK_OK) {
		to->n_inputs--;
		rk_port_unref(p);
		rk_port_unref(p);
		return rc;
	}
	from->out_groups[from->n_out_groups++] =
		(rk_out_group){ from->n_outputs - 1, 1, 0 };
	return RK_OK;
}

/* Both kernels must still be LAUNCHED: their executors read the port
 * arrays only once activated, after the epoch that publishes them.  A
 * replicated kernel downstream takes its messages in turn (one output
 * group over its replicas); one upstream is read in turn (one input
 * group over its replicas). */
static rk_error connect_locked(rk_runtime *rt, rk_kernel *from, rk_kernel *to)
{
	rk_state sf = rk_kernel_state(from), st = rk_kernel_state(to);
	rk_error rc = RK_OK;

	if (sf != RK_STATE_LAUNCHED)
		return rk_fail_state("connect", from->id, sf);
	if (st != RK_STATE_LAUNCHED)
		return rk_fail_state("connect", to->id, st);
	if (rk_kernel_feeds_locked(from, to))
		return rk_fail(RK_EINVAL, "kernel '%s' already feeds '%s'",
			       from->id, to->id);
	const rk_type *out = from->desc->output_type, *in = to->desc->input_type;
	bool convert = out && in && rk_type_is_json(out) != rk_type_is_json(in);
	if (out && in && !convert && !rk_type_equal(out, in))
		return rk_fail(RK_ESCHEMA, "kernel '%s' emits %s messages but "
			       "'%s' takes %s", from->id, out->name, to->id,
			       in->name);
	if (from->n_replicas && to->n_replicas)
		return rk_fail(RK_ECONFIG, "replicated kernel '%s' cannot feed "
			       "replicated kernel '%s' directly: put a kernel "
			       "between them", from->id, to->id);
	if (to->n_replicas && to->replicas[0]->n_inputs > 1)
		return rk_fail(RK_ECONFIG, "%s",
			       rk_replicas_fan_in_why(to->id, "another kernel"));
	if (to->n_replicas) {
		size_t first = from->n_outputs;
		for (size_t i = 0; i < to->n_replicas && rc == RK_OK; i++)
			rc = add_edge(rt, from, to->replicas[i], -1);
		if (rc == RK_OK) {
			/* One group taking turns over the replicas. */
			from->n_out_groups -= to->n_replicas;
			from->out_groups[from->n_out_groups++] =
				(rk_out_group){ first, to->n_replicas, 0 };
		}
		return rc;
	}
	if (from->n_replicas) {
		rk_in_group *g = realloc(to->in_groups, (to->n_in_groups + 1)
					 * sizeof(*g));
		if (!g)
			return rk_fail(RK_ENOMEM, "out of memory");
		to->in_groups = g;
		int index = (int)to->n_in_groups;
		size_t first = to->n_inputs;
		for (size_t i = 0; i < from->n_replicas && rc == RK_OK; i++)
			rc = add_edge(rt, from->replicas[i], to, index);
		if (rc == RK_OK)
			to->in_groups[to->n_in_groups++] =
				(rk_in_group){ first, from->n_replicas, 0, false };
		return rc;
	}
	return add_edge(rt, from, to, -1);
}

/* The kernel's own output becomes one more output of it. */
static rk_error keep_output_locked(rk_kernel *k)
{
	rk_out_group *og;

	if (rk_kernel_state(k) != RK_STATE_LAUNCHED)
		return rk_fail_state("keep the output of", k->id,
				     rk_kernel_state(k));
	for (size_t i = 0; i < k->n_replicas; i++) {
		rk_error rc = keep_output_locked(k->replicas[i]);
		if (rc != RK_OK)
			return rc;
	}
	if (k->n_replicas || k->keeps_output)
		return RK_OK;
	if (!(og = realloc(k->out_groups, (k->n_out_groups + 1) * sizeof(*og))))
		return rk_fail(RK_ENOMEM, "out of memory");
	k->out_groups = og;
	rk_port_ref(k->output);
	rk_error rc = append_port(&k->outputs, &k->n_outputs, k->output);
	if (rc != RK_OK) {
		rk_port_unref(k->output);
		return rc;
	}
	k->out_groups[k->n_out_groups++] =
		(rk_out_group){ k->n_outputs - 1, 1, 0 };
	k->keeps_output = true;
	return RK_OK;
}

rk_error rk_keep_output(rk_runtime *rt, const char *id)
{
	rk_kernel *k;
	rk_error rc = rk_kernel_get(rt, id, &k);

	if (rc != RK_OK)
		return rc;
	pthread_mutex_lock(&k->lock);
	rc = keep_output_locked(k);
	pthread_mutex_unlock(&k->lock);
	rk_kernel_put(k);
	return rc;
}

/* Remove element i of an array of n. */
#define REMOVE_AT(array, n, i) \
	memmove(&(array)[i], &(array)[(i) + 1], ((n) - (i) - 1) * sizeof(*(array)))

/* The inverse of connect_locked, for two plain kernels, still LAUNCHED
 * (so nothing has gone through the edge): its port leaves both arrays,
 * and the groups after it move down one. */
static rk_error disconnect_locked(rk_kernel *from, rk_kernel *to)
{
	rk_state sf = rk_kernel_state(from), st = rk_kernel_state(to);
	size_t i, j;

	if (sf != RK_STATE_LAUNCHED)
		return rk_fail_state("unlink", from->id, sf);
	if (st != RK_STATE_LAUNCHED)
		return rk_fail_state("unlink", to->id, st);
	if (from->n_replicas || to->n_replicas)
		return rk_fail(RK_ECONFIG, "the edges of a replicated kernel "
			       "cannot be undone: terminate it");
	for (i = 0; i < from->n_outputs; i++) {
		for (j = 1; j < to->n_inputs; j++)
			if (from->outputs[i] == to->inputs[j])
				break;
		if (j < to->n_inputs)
			break;
	}
	if (i == from->n_outputs)
		return rk_fail(RK_EINVAL, "kernel '%s' does not feed '%s'",
			       from->id, to->id);
	rk_port *p = from->outputs[i];
	for (size_t g = 0; g < from->n_out_groups; g++) {
		if (from->out_groups[g].first == i) {
			REMOVE_AT(from->out_groups, from->n_out_groups, g);
			from->n_out_groups--;
			g--;
		} else if (from->out_groups[g].first > i) {
			from->out_groups[g].first--;
		}
	}
	REMOVE_AT(from->outputs, from->n_outputs, i);
	from->n_outputs--;
	for (size_t g = 0; g < to->n_in_groups; g++)
		if (to->in_groups[g].first > j)
			to->in_groups[g].first--;
	REMOVE_AT(to->in_group_of, to->n_inputs, j);
	REMOVE_AT(to->inputs, to->n_inputs, j);
	to->n_inputs--;
	rk_port_unref(p);
	rk_port_unref(p);
	return RK_OK;
}

/* Both kernels, locked in address order so that two calls never
 * deadlock. */
static rk_error with_both(rk_runtime *rt, const char *from, const char *to,
			  rk_error (*fn)(rk_runtime *, rk_kernel *, rk_kernel *))
{
	rk_kernel *a, *b;
	rk_error rc;

	if ((rc = rk_kernel_get(rt, from, &a)) != RK_OK)
		return rc;
	if ((rc = rk_kernel_get(rt, to, &b)) != RK_OK) {
		rk_kernel_put(a);
		return rc;
	}
	if (a == b) {
		rc = rk_fail(RK_EINVAL, "kernel '%s' cannot feed itself", from);
	} else {
		rk_kernel *first = a < b ? a : b, *second = a < b ? b : a;
		pthread_mutex_lock(&first->lock);
		pthread_mutex_lock(&second->lock);
		rc = fn(rt, a, b);
		pthread_mutex_unlock(&second->lock);
		pthread_mutex_unlock(&first->lock);
	}
	rk_kernel_put(b);
	rk_kernel_put(a);
	return rc;
}

static rk_error disconnect_both(rk_runtime *rt, rk_kernel *from, rk_kernel *to)
{
	(void)rt;
	return disconnect_locked(from, to);
}

rk_error rk_disconnect(rk_runtime *rt, const char *from, const char *to)
{
	return with_both(rt, from, to, disconnect_both);
}

rk_error rk_connect(rk_runtime *rt, const char *from, const char *to)
{
	return with_both(rt, from, to, connect_locked);
}
