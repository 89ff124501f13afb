/* test-model.c - a seeded model-based test of libringkernel.
 *
 * Each scenario builds a random topology through the public API
 * (queue sizes down to 1, every backpressure policy, replicas, fan-in
 * and fan-out, raw, typed and json kernels), feeds it from client
 * threads, reads its sinks, and deactivates, reactivates and terminates
 * kernels while messages flow.  Then it checks what must hold against a
 * model of the topology:
 *
 *   - conservation in every kernel's counters, and end to end: what was
 *     accepted was received once, or is counted as dropped, rejected or
 *     failed (exactly where the counters allow it, else an inequality);
 *   - nothing arrives that was refused, nothing arrives twice, and
 *     what arrives from one client by one path comes in the order sent;
 *   - every call with a timeout returns within it plus a slack;
 *   - no crash, no hang (a watchdog aborts with the seed).
 *
 *   test-model [SEED] [--scenario N] [--count N] [--soak SECONDS]
 *
 * SEED (0x-hex or decimal; else RK_MODEL_SEED, else the clock) seeds
 * scenario N with mix64(mix64(SEED) + N), so `test-model SEED
 * --scenario N` builds the same topology and each thread draws the same
 * decisions again (their timing differs from run to run).  With no
 * option it runs 12 scenarios (4 where RK_STRESS_SCALE, stress.h, is
 * 20 as for TSan; it also divides the messages); --soak runs new ones
 * until the time is up.
 *
 * Odd seeds run with RK_FUSE=1 (kernels may run on their producers'
 * threads), even ones with RK_FUSE=0, unless RK_FUSE is set.
 *
 * RK_MODEL_NO_<X>=1 keeps X out of the scenarios, so that the rest can
 * be checked while a defect in X is being fixed: the policies
 * DROP_OLDEST, DROP_NEWEST, REJECT; REPLICAS, DEACTIVATE, TERMINATE,
 * TERMINATE_ALL, EARLY_STOP (a reader that goes away), WIDE (fan-in of
 * up to 200), HANG (the hang scenarios), JSON (typed and json kernels);
 * a kind of kernel: PASS, FAILN, MULTI, SLEEPY, BATCH, MAIN, SLOW,
 * TWICE; REPLICA_DROP (only block next to replicas), REPLICA_MAIN (no
 * main loop fed by replicas), REPLICA_FANIN (no replicas fed by several
 * kernels), REPLICA_SENDERS (one client thread where one sends to
 * replicas).  And two checks: HIGH_WATER (the queues' high-water marks)
 * and HANG_REPLIES (outputs made before a hang come out).
 * RK_MODEL_SHAPE=chain|dag|wide|hang runs only that shape.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels.h"
#include "stress.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define MAXK 256                /* kernels in a scenario */
#define MAX_STREAMS 4
#define MAX_SLOTS 320           /* threads that make timed calls */
#define PATH_MASK ((UINT64_C(1) << 52) - 1)    /* exact in JSON */
#define TERMINATE_GRACE 0.2     /* runtime.c waits this past a deadline */
#define SLACK 0.25              /* what a timed call may overrun, s */

/* ---- randomness ---------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x += UINT64_C(0x9e3779b97f4a7c15);
	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(r->s);
}

static uint32_t below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnd(r) % n) : 0;
}

static bool chance(struct rng *r, unsigned percent)
{
	return below(r, 100) < percent;
}

static struct rng fork_rng(struct rng *r)
{
	return (struct rng){ rnd(r) };
}

/* ---- failing with the seed ----------------------------------------- */

static uint64_t master_seed;
static int scenario_no;                 /* atomic */
static char topology_text[8192];        /* what the scenario built */
static double factor = 1;               /* sanitizers: slower, more slack */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nap_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	nanosleep(&ts, NULL);
}

static void report(const char *fmt, va_list ap)
{
	fprintf(stderr, "model: seed 0x%016" PRIx64 " scenario %d: ",
		master_seed, __atomic_load_n(&scenario_no, __ATOMIC_RELAXED));
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nmodel: topology: %s\n", topology_text);
	fflush(stderr);
}

/* A check failed: the other threads may still hold the runtime's
 * locks, so leave without running exit handlers. */
static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(fmt, ap);
	va_end(ap);
	printf("not ok - model\n");
	fflush(stdout);
	_exit(1);
}

/* A hang: abort, for a core that shows where everyone waits. */
static void __attribute__((noreturn, format(printf, 1, 2)))
hang(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(fmt, ap);
	va_end(ap);
	abort();
}

static bool excluded(const char *feature)
{
	char name[64];
	snprintf(name, sizeof(name), "RK_MODEL_NO_%s", feature);
	const char *v = getenv(name);
	return v && *v && strcmp(v, "0") != 0;
}

/* ---- timed calls and the watchdog ----------------------------------
 *
 * Every thread that calls the runtime owns a slot: the call's start and
 * limit, read by the watchdog, which aborts once a call is past its
 * limit by a second (it will not come back); a call that does come
 * back late fails when it returns. */

struct slot {
	uint64_t start_ns;              /* 0: not in a call */
	uint64_t start_delay_ns;        /* the thread's run_delay_ns() then */
	uint64_t limit_ns;
	const char *what;
	const char *id;
	uint64_t timeout_us;
};

static struct slot slots[MAX_SLOTS];
static int n_slots;                     /* atomic */
static __thread int my_slot;
static uint64_t scenario_deadline_ns;   /* atomic; 0: between scenarios */

static int new_slot(void)
{
	int s = __atomic_fetch_add(&n_slots, 1, __ATOMIC_RELAXED);
	if (s >= MAX_SLOTS)
		fail("more than %d threads", MAX_SLOTS);
	return s;
}

/* How long the calling thread has been runnable but not running, from
 * /proc/thread-self/schedstat (0 where unreadable).  On a loaded machine
 * a call that returned at its deadline can wait far past it for a core;
 * that wait is the scheduler's, not the call's. */
static uint64_t run_delay_ns(void)
{
	char buf[96];
	int fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	unsigned long long run, delay;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%llu %llu", &run, &delay) == 2 ? delay : 0;
}

static uint64_t call_begin(const char *what, const char *id, double timeout,
			   double limit)
{
	struct slot *s = &slots[my_slot];

	s->start_delay_ns = run_delay_ns();

	__atomic_store_n(&s->what, what, __ATOMIC_RELAXED);
	__atomic_store_n(&s->id, id, __ATOMIC_RELAXED);
	__atomic_store_n(&s->timeout_us, (uint64_t)(timeout * 1e6),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&s->limit_ns, (uint64_t)(limit * 1e9),
			 __ATOMIC_RELAXED);
	uint64_t t0 = now_ns();
	__atomic_store_n(&s->start_ns, t0, __ATOMIC_RELEASE);
	return t0;
}

static void call_end(uint64_t t0)
{
	struct slot *s = &slots[my_slot];
	uint64_t took = now_ns() - t0;

	__atomic_store_n(&s->start_ns, 0, __ATOMIC_RELEASE);
	if (took <= s->limit_ns)
		return;
	/* Only the time the thread could have run counts against the
	 * call: what it spent waiting for a core is the machine's load. */
	uint64_t queued = run_delay_ns() - s->start_delay_ns;
	if (took - queued <= s->limit_ns) {
		printf("# %s(%s, timeout %.3f s) returned after %.3f s, "
		       "%.3f s of it runnable but not running (load)\n",
		       s->what, s->id, (double)s->timeout_us / 1e6,
		       (double)took / 1e9, (double)queued / 1e9);
		return;
	}
	fail("%s(%s, timeout %.3f s) returned after %.3f s (%.3f s of it "
	     "waiting for a core), past its limit of %.3f s", s->what, s->id,
	     (double)s->timeout_us / 1e6, (double)took / 1e9,
	     (double)queued / 1e9, (double)s->limit_ns / 1e9);
}

/* A call that takes `timeout` may overrun it by the slack. */
static double limit_of(double timeout)
{
	return timeout + SLACK * factor;
}

static void *watchdog(void *unused)
{
	(void)unused;
	for (;;) {
		nap_us(20000);
		uint64_t now = now_ns();
		uint64_t end = __atomic_load_n(&scenario_deadline_ns,
					       __ATOMIC_ACQUIRE);
		int n = __atomic_load_n(&n_slots, __ATOMIC_RELAXED);
		for (int i = 0; i < n && i < MAX_SLOTS; i++) {
			struct slot *s = &slots[i];
			uint64_t t0 = __atomic_load_n(&s->start_ns,
						      __ATOMIC_ACQUIRE);
			uint64_t limit = __atomic_load_n(&s->limit_ns,
							 __ATOMIC_RELAXED);
			if (t0 && now > t0 + limit + 1000000000u * factor)
				hang("%s(%s, timeout %.3f s) has not returned "
				     "after %.3f s (hang)",
				     __atomic_load_n(&s->what, __ATOMIC_RELAXED),
				     __atomic_load_n(&s->id, __ATOMIC_RELAXED),
				     (double)__atomic_load_n(&s->timeout_us,
						__ATOMIC_RELAXED) / 1e6,
				     (double)(now - t0) / 1e9);
		}
		if (end && now > end)
			hang("scenario still running after %.0f s (hang)",
			     20 * factor);
	}
	return NULL;
}

/* ---- the messages and the kernels -----------------------------------
 *
 * A message is (id, path): id = stream << 32 | sequence number, path a
 * hash of the kernels (and copies) it went through, so that what comes
 * out of a sink says where it came from.  Kernels and the model both
 * compute a message's outputs with outputs_of(). */

struct wire {
	uint64_t id;
	uint64_t path;
};

static const rk_field wire_fields[] = {
	RK_FIELD(struct wire, id, RK_KIND_U64),
	RK_FIELD(struct wire, path, RK_KIND_U64),
};
static const rk_type wire_type = RK_TYPE(struct wire, "wire", wire_fields);

enum kind {
	K_PASS, K_FAILN, K_MULTI, K_SLEEPY, K_BATCH, K_MAIN,
	K_SLOW, K_TWICE, K_JSON, K_HANG, K_KINDS
};
static const char *const kind_names[K_KINDS] = {
	"pass", "failn", "multi", "sleepy", "batch", "main",
	"slow", "twice", "json", "hang"
};

static uint32_t seq_of(uint64_t id)
{
	return (uint32_t)id;
}

static uint64_t tag(uint64_t path, int idx, int copy)
{
	return mix64(path ^ ((uint64_t)(idx + 1) << 20)
		     ^ ((uint64_t)copy << 44)) & PATH_MASK;
}

/* The paths of what kernel `idx` makes of message `id`; -1 where the
 * kernel fails on it. */
static int outputs_of(int kind, int idx, int64_t n, uint64_t id,
		      uint64_t path, uint64_t out[2])
{
	switch (kind) {
	case K_FAILN:
		if (seq_of(id) % (uint64_t)n == 0)
			return -1;
		break;
	case K_MULTI: {
		int c = (int)(mix64(id ^ ((uint64_t)idx << 48)) % 3);
		for (int i = 0; i < c; i++)
			out[i] = tag(path, idx, i);
		return c;
	}
	case K_SLOW:
		out[0] = path;
		return 1;
	case K_TWICE:
		out[0] = out[1] = path;
		return 2;
	}
	out[0] = tag(path, idx, 0);
	return 1;
}

/* What the kernels did, per model index (replicas add up): for the
 * counters the runtime keeps of them. */
struct kcount {
	uint64_t calls, emits, fails;
};
static struct kcount kc[MAXK];

static void kc_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static uint64_t kc_get(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* The hang kernel blocks on one message until the scenario lets go. */
static pthread_mutex_t hang_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hang_cond = PTHREAD_COND_INITIALIZER;
static bool hang_entered, hang_released;

static void hang_here(void)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 30;     /* never forever: the watchdog is sooner */
	pthread_mutex_lock(&hang_lock);
	hang_entered = true;
	pthread_cond_broadcast(&hang_cond);
	while (!hang_released
	       && pthread_cond_timedwait(&hang_cond, &hang_lock, &until)
		  != ETIMEDOUT)
		;
	pthread_mutex_unlock(&hang_lock);
}

struct kstate {
	int idx;
	int64_t n;              /* failn: every; hang: at this seq */
	bool hung;
};

static const rk_param_desc model_params[] = {
	{ "idx", "int", "0", "the kernel's index in the model" },
	{ "n", "int", "1", "failn: fail on multiples; hang: hang at" },
	{ NULL, NULL, NULL, NULL }
};

static int model_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	struct kstate *s = calloc(1, sizeof(*s));

	(void)params;
	if (!s)
		return 1;
	s->idx = atoi(rk_ctx_param(ctx, "idx"));
	s->n = atoll(rk_ctx_param(ctx, "n"));
	if (s->idx < 0 || s->idx >= MAXK || s->n <= 0) {
		rk_ctx_error(ctx, "bad idx or n");
		free(s);
		return 1;
	}
	*state = s;
	return 0;
}

static int read_wire(const void *data, size_t len, bool json, struct wire *w)
{
	rk_json_value v;

	if (!json) {
		if (len != sizeof(*w))
			return -1;
		memcpy(w, data, sizeof(*w));
		return 0;
	}
	if (rk_json_field(data, len, "id", &v) != RK_OK || !v.integral)
		return -1;
	w->id = (uint64_t)v.integer;
	if (rk_json_field(data, len, "path", &v) != RK_OK || !v.integral)
		return -1;
	w->path = (uint64_t)v.integer;
	return 0;
}

static size_t json_of(const struct wire *w, char *buf, size_t cap)
{
	return (size_t)snprintf(buf, cap, "{\"id\":%" PRIu64 ",\"path\":%"
				PRIu64 "}", w->id, w->path);
}

static void emit_wire(rk_ctx *ctx, const struct wire *w, bool json)
{
	char text[96];

	/* A lost output is counted as dropped by the runtime; failing the
	 * message for it as well would count it twice. */
	if (json)
		rk_ctx_emit(ctx, text, json_of(w, text, sizeof(text)));
	else
		rk_ctx_emit(ctx, w, sizeof(*w));
}

/* Some messages make the sleepy kernel nap 1-4 ms. */
static void sleepy_nap(uint64_t id, int idx)
{
	uint64_t h = mix64(id * 31 + (uint64_t)idx);
	if (h % 16 == 0)
		nap_us(1000 + (long)(h >> 32) % 3000);
}

static int process_kind(rk_ctx *ctx, const rk_msg *m, int kind, bool json)
{
	struct kstate *s = rk_ctx_state(ctx);
	struct wire w;
	uint64_t out[2];

	kc_add(&kc[s->idx].calls, 1);
	if (read_wire(m->data, m->len, json, &w) != 0) {
		kc_add(&kc[s->idx].fails, 1);
		rk_ctx_error(ctx, "unreadable message of %zu bytes", m->len);
		if (getenv("RK_MODEL_DEBUG"))
			fprintf(stderr, "model: %s: unreadable message of %zu "
				"bytes\n", rk_ctx_kernel_id(ctx), m->len);
		return 1;
	}
	if (kind == K_SLEEPY)
		sleepy_nap(w.id, s->idx);
	if (kind == K_HANG && !s->hung && seq_of(w.id) == s->n) {
		s->hung = true;
		hang_here();
	}
	int n = outputs_of(kind, s->idx, s->n, w.id, w.path, out);
	if (n < 0) {
		kc_add(&kc[s->idx].fails, 1);
		rk_ctx_error(ctx, "seq %u: a multiple of %lld", seq_of(w.id),
			     (long long)s->n);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct wire o = { w.id, out[i] };
		kc_add(&kc[s->idx].emits, 1);
		emit_wire(ctx, &o, json);
	}
	return 0;
}

#define PROCESS(name, kind, json) \
	static int name(rk_ctx *ctx, const rk_msg *m) \
	{ \
		return process_kind(ctx, m, kind, json); \
	}
PROCESS(pass_one, K_PASS, false)
PROCESS(failn_one, K_FAILN, false)
PROCESS(multi_one, K_MULTI, false)
PROCESS(sleepy_one, K_SLEEPY, false)
PROCESS(hang_one, K_HANG, false)
PROCESS(json_one, K_JSON, true)

static int pass_batch(rk_ctx *ctx, const rk_msg *msgs, size_t n)
{
	int failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += process_kind(ctx, &msgs[i], K_BATCH, false) != 0;
	return failed;
}

/* The reference's persistent loop, passing messages on. */
static int pass_main(rk_ctx *ctx)
{
	while (!rk_ctx_should_terminate(ctx)) {
		rk_msg m;
		if (!rk_ctx_is_active(ctx)) {
			rk_ctx_wait_active(ctx, 0.02);
			continue;
		}
		int rc = rk_ctx_receive(ctx, &m, 0.02);
		if (rc == RK_ETIMEDOUT || rc == RK_ESTATE)
			continue;
		if (rc != RK_OK)
			return rc;
		process_kind(ctx, &m, K_MAIN, false);
	}
	return 0;
}

#define MODEL_DESC(nm, type_in, type_out) \
	.abi_version = RK_PLUGIN_ABI_VERSION, \
	.struct_size = sizeof(rk_kernel_desc), .name = nm, \
	.input_type = type_in, .output_type = type_out, \
	.params = model_params, .init = model_init, .fini = free

/* [kind][typed]: the raw and the typed form of each kernel of ours. */
static const rk_kernel_desc model_descs[K_KINDS][2] = {
	[K_PASS] = { { MODEL_DESC("m-pass", NULL, NULL), .process = pass_one,
		       .flags = RK_KERNEL_ANY_THREAD },
		     { MODEL_DESC("m-pass-t", &wire_type, &wire_type),
		       .process = pass_one, .flags = RK_KERNEL_ANY_THREAD } },
	[K_FAILN] = { { MODEL_DESC("m-failn", NULL, NULL),
			.process = failn_one, .flags = RK_KERNEL_ANY_THREAD },
		      { MODEL_DESC("m-failn-t", &wire_type, &wire_type),
			.process = failn_one, .flags = RK_KERNEL_ANY_THREAD } },
	[K_MULTI] = { { MODEL_DESC("m-multi", NULL, NULL),
			.process = multi_one },
		      { MODEL_DESC("m-multi-t", &wire_type, &wire_type),
			.process = multi_one } },
	[K_SLEEPY] = { { MODEL_DESC("m-sleepy", NULL, NULL),
			 .process = sleepy_one },
		       { MODEL_DESC("m-sleepy-t", &wire_type, &wire_type),
			 .process = sleepy_one } },
	[K_BATCH] = { { MODEL_DESC("m-batch", NULL, NULL),
			.process_batch = pass_batch,
			.flags = RK_KERNEL_ANY_THREAD },
		      { MODEL_DESC("m-batch-t", &wire_type, &wire_type),
			.process_batch = pass_batch,
			.flags = RK_KERNEL_ANY_THREAD } },
	[K_MAIN] = { { MODEL_DESC("m-main", NULL, NULL), .main = pass_main },
		     { MODEL_DESC("m-main-t", &wire_type, &wire_type),
		       .main = pass_main } },
	/* json has no raw form: desc_of is never asked for one */
	[K_JSON] = { { 0 }, { MODEL_DESC("m-json", &rk_type_json,
					 &rk_type_json), .process = json_one,
			       .flags = RK_KERNEL_ANY_THREAD } },
	[K_HANG] = { { MODEL_DESC("m-hang", NULL, NULL), .process = hang_one },
		     { MODEL_DESC("m-hang-t", &wire_type, &wire_type),
		       .process = hang_one } },
};

static const rk_kernel_desc *desc_of(int kind, bool typed)
{
	if (kind == K_SLOW)
		return &test_slow;
	if (kind == K_TWICE)
		return &test_fanout;
	return &model_descs[kind][typed];
}

/* Replicas need process and no flush. */
static bool replicable(int kind)
{
	return kind != K_BATCH && kind != K_MAIN && kind != K_HANG;
}

static int max_copies(int kind)
{
	return kind == K_MULTI || kind == K_TWICE ? 2 : 1;
}

/* ---- the scenario ---------------------------------------------------- */

enum shape { S_CHAIN, S_DAG, S_WIDE, S_HANG };
static const char *const shape_names[] = { "chain", "dag", "wide", "hang" };

struct mk {                             /* a kernel of the model */
	char id[16];
	int kind;
	bool typed, json;
	uint32_t queue, replicas;
	rk_backpressure in_pol, out_pol;
	int64_t n;                      /* failn, hang: n; slow: us */
	int *up, n_up;
	int *down, n_down;
	int terminated;                 /* atomic: terminate was called */
	uint64_t client_ok;             /* sends into it accepted */
	uint64_t max_depth;             /* input depth seen while settling */
	rk_telemetry t;                 /* when settled */
};

struct scen;

struct stream {
	struct scen *sc;
	int no, slot;
	int *targets, n_targets;
	uint64_t count;
	uint8_t *status;                /* per seq: 1 accepted, 2 refused */
	struct rng rng;
	pthread_t thread;
};

struct reader {
	struct scen *sc;
	int sink, slot;
	struct rng rng;
	uint64_t stop_after;            /* > 0: stops early, after these */
	struct wire *log;
	size_t n, cap;                  /* n: atomic */
	int stop;                       /* atomic */
	pthread_t thread;
};

struct chaos {
	struct scen *sc;
	int slot;
	struct rng rng;
	int stop;                       /* atomic */
	pthread_t thread;
};

struct scen {
	uint64_t seed;
	int no;
	struct rng rng;
	int shape;
	bool typed;
	rk_runtime *rt;
	int nk;
	struct mk k[MAXK];
	int ns;
	struct stream s[MAX_STREAMS];
	int nr;
	struct reader r[MAXK];
	struct chaos chaos;
	bool may_terminate, may_terminate_all, may_deactivate;
	bool early_stop;
	int terminations;               /* atomic */
	int ended;                      /* atomic: terminate_all ran */
	uint64_t send_until_ns;
	int hang_kernel;
};

static bool policy_allowed(rk_backpressure p)
{
	switch (p) {
	case RK_BP_REJECT:
		return !excluded("REJECT");
	case RK_BP_DROP_OLDEST:
		return !excluded("DROP_OLDEST");
	case RK_BP_DROP_NEWEST:
		return !excluded("DROP_NEWEST");
	default:
		return true;
	}
}

static rk_backpressure pick_policy(struct rng *r)
{
	for (;;) {
		uint32_t x = below(r, 10);
		rk_backpressure p = x < 4 ? RK_BP_BLOCK : x < 6 ? RK_BP_REJECT
				    : x < 8 ? RK_BP_DROP_OLDEST
				    : RK_BP_DROP_NEWEST;
		if (policy_allowed(p))
			return p;
	}
}

static uint32_t pick_queue(struct rng *r)
{
	static const uint32_t sizes[] = { 1, 1, 2, 3, 4, 8, 16, 64, 256, 1024 };
	return sizes[below(r, sizeof(sizes) / sizeof(sizes[0]))];
}

/* RK_MODEL_NO_PASS, _FAILN, _MULTI, _SLEEPY, _BATCH, _MAIN, _SLOW,
 * _TWICE: kernels of that kind are left out (json: RK_MODEL_NO_JSON). */
static bool kind_excluded(int kind)
{
	char name[16];
	size_t i = 0;

	for (; kind_names[kind][i] && i < sizeof(name) - 1; i++)
		name[i] = (char)(kind_names[kind][i] - 'a' + 'A');
	name[i] = '\0';
	return excluded(name);
}

static int pick_kind(struct scen *sc)
{
	struct rng *r = &sc->rng;
	for (;;) {
		uint32_t x = below(r, 100);
		int k = x < 25 ? K_PASS : x < 38 ? K_FAILN : x < 50 ? K_MULTI
			: x < 60 ? K_SLEEPY : x < 70 ? K_BATCH : x < 78 ? K_MAIN
			: x < 90 ? (sc->typed ? K_JSON : K_SLOW)
			: (sc->typed ? K_JSON : K_TWICE);
		if (!kind_excluded(k))
			return k;
	}
}

static void add_edge(struct scen *sc, int from, int to)
{
	struct mk *a = &sc->k[from], *b = &sc->k[to];

	for (int i = 0; i < a->n_down; i++)
		if (a->down[i] == to)
			return;
	a->down = realloc(a->down, (size_t)(a->n_down + 1) * sizeof(int));
	b->up = realloc(b->up, (size_t)(b->n_up + 1) * sizeof(int));
	if (!a->down || !b->up)
		fail("out of memory");
	a->down[a->n_down++] = to;
	b->up[b->n_up++] = from;
}

static void new_kernel(struct scen *sc, int kind)
{
	struct rng *r = &sc->rng;
	struct mk *m = &sc->k[sc->nk];

	snprintf(m->id, sizeof(m->id), "k%d", sc->nk);
	m->kind = kind;
	m->typed = sc->typed;
	m->json = kind == K_JSON;
	m->queue = pick_queue(r);
	m->in_pol = pick_policy(r);
	m->out_pol = pick_policy(r);
	m->n = kind == K_FAILN ? 2 + below(r, 9) : 1;
	if (kind == K_SLOW)
		m->n = (int64_t[]){ 50, 200, 1000, 5000, 20000 }[below(r, 5)];
	if (replicable(kind) && !excluded("REPLICAS") && chance(r, 25))
		m->replicas = 2 + below(r, 3);
	sc->nk++;
}

/* A replicated kernel cannot feed another directly (rk_connect says
 * RK_ECONFIG): the one downstream loses its replicas. */
static void unreplicate_pairs(struct scen *sc)
{
	for (int i = 0; i < sc->nk; i++)
		for (int j = 0; j < sc->k[i].n_up; j++)
			if (sc->k[sc->k[i].up[j]].replicas > 1)
				sc->k[i].replicas = 0;
}

static bool fed_by_replicas(struct scen *sc, const struct mk *m);

/* What the runtime refuses (replicas.h): a replicated kernel whose
 * queue drops, or that more than one kernel feeds.  And known troubles
 * of replicas kept out where asked: a policy that can lose a message
 * next to replicas, a main loop fed by replicas, replicas fed by
 * several kernels. */
static void spare_replicas(struct scen *sc)
{
	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		bool fed = fed_by_replicas(sc, m);
		if (m->replicas > 1 && (m->in_pol == RK_BP_DROP_NEWEST
					|| m->in_pol == RK_BP_DROP_OLDEST))
			m->in_pol = RK_BP_BLOCK;
		if (m->n_up > 1)
			m->replicas = 0;
		if ((m->replicas > 1 || fed) && excluded("REPLICA_DROP"))
			m->in_pol = RK_BP_BLOCK;
		if (fed && m->kind == K_MAIN && excluded("REPLICA_MAIN"))
			m->kind = K_PASS;
		if (m->n_up > 1 && excluded("REPLICA_FANIN"))
			m->replicas = 0;
	}
}

/* Bound the outputs one message makes (fan-out times copies), and the
 * time a slow kernel needs for the backlog before it. */
static bool tame(struct scen *sc)
{
	uint64_t most[MAXK], queued = 0;

	for (int i = sc->nk - 1; i >= 0; i--) {
		struct mk *m = &sc->k[i];
		uint64_t below_it = m->n_down ? 0 : 1;
		for (int j = 0; j < m->n_down; j++)
			below_it += most[m->down[j]];
		most[i] = (uint64_t)max_copies(m->kind) * below_it;
		if (most[i] > 16)
			return false;
	}
	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		queued += (uint64_t)m->queue * (m->replicas ? m->replicas : 1);
		if (m->kind == K_SLOW && (uint64_t)m->n * queued > 800000)
			m->n = (int64_t)(800000 / queued) + 1;
	}
	return true;
}

static void gen_chain(struct scen *sc)
{
	int n = 1 + (int)below(&sc->rng, 5);
	for (int i = 0; i < n; i++) {
		new_kernel(sc, pick_kind(sc));
		if (i)
			add_edge(sc, i - 1, i);
	}
}

static void gen_dag(struct scen *sc)
{
	int n = 3 + (int)below(&sc->rng, 6);
	for (int i = 0; i < n; i++) {
		new_kernel(sc, pick_kind(sc));
		if (i == 0 || !chance(&sc->rng, 80))
			continue;
		add_edge(sc, (int)below(&sc->rng, (uint32_t)i), i);
		if (chance(&sc->rng, 30))
			add_edge(sc, (int)below(&sc->rng, (uint32_t)i), i);
	}
}

/* Many producers into one consumer (fan-in), and maybe one more stage. */
static void gen_wide(struct scen *sc)
{
	int w = chance(&sc->rng, 70) ? 8 + (int)below(&sc->rng, 25)
				      : 33 + (int)below(&sc->rng, 168);
	for (int i = 0; i < w; i++) {
		new_kernel(sc, K_PASS);
		sc->k[i].queue = 1 + below(&sc->rng, 8);
		sc->k[i].replicas = 0;
	}
	new_kernel(sc, chance(&sc->rng, 50) ? K_PASS : K_BATCH);
	if (w > 64)
		sc->k[w].replicas = 0;  /* 4 x 200 ports is too many threads' worth */
	for (int i = 0; i < w; i++)
		add_edge(sc, i, w);
	if (chance(&sc->rng, 50)) {
		new_kernel(sc, K_PASS);
		add_edge(sc, w, w + 1);
	}
}

/* A chain with a kernel that hangs on one message of a batch. */
static void gen_hang(struct scen *sc)
{
	int n = 1 + (int)below(&sc->rng, 3);
	sc->hang_kernel = (int)below(&sc->rng, (uint32_t)n);
	for (int i = 0; i < n; i++) {
		struct mk *m = &sc->k[sc->nk];
		new_kernel(sc, i == sc->hang_kernel ? K_HANG
			   : chance(&sc->rng, 50) ? K_PASS : K_SLEEPY);
		m->queue = 64 << below(&sc->rng, 3);
		m->in_pol = m->out_pol = RK_BP_BLOCK;
		m->replicas = 0;
		m->n = 1 + below(&sc->rng, 30);
		if (i)
			add_edge(sc, i - 1, i);
	}
}

static void describe(struct scen *sc)
{
	static const char *const pol[] = { "block", "reject", "drop_oldest",
					   "drop_newest" };
	size_t used = 0, cap = sizeof(topology_text);

	used += (size_t)snprintf(topology_text, cap, "%s%s;",
				 shape_names[sc->shape],
				 sc->typed ? " typed" : "");
	for (int i = 0; i < sc->nk && used < cap; i++) {
		struct mk *m = &sc->k[i];
		used += (size_t)snprintf(topology_text + used, cap - used,
			" %s=%s(q%u,%s/%s%s%.0u,n%lld)", m->id, kind_names[m->kind],
			m->queue, pol[m->in_pol], pol[m->out_pol],
			m->replicas ? ",x" : "", m->replicas, (long long)m->n);
		for (int j = 0; j < m->n_down && used < cap; j++)
			used += (size_t)snprintf(topology_text + used, cap - used,
						 "%sk%d", j ? "," : "->",
						 m->down[j]);
	}
}

static void free_topology(struct scen *sc)
{
	for (int i = 0; i < sc->nk; i++) {
		free(sc->k[i].up);
		free(sc->k[i].down);
	}
	memset(sc->k, 0, sizeof(sc->k));
	sc->nk = 0;
}

/* RK_MODEL_SHAPE=chain|dag|wide|hang: only that shape. */
static int pick_shape(struct rng *r)
{
	const char *want = getenv("RK_MODEL_SHAPE");

	for (int s = 0; want && s < 4; s++)
		if (strcmp(want, shape_names[s]) == 0)
			return s;
	for (;;) {
		uint32_t x = below(r, 100);
		int s = x < 40 ? S_CHAIN : x < 80 ? S_DAG : x < 90 ? S_WIDE
			: S_HANG;
		if ((s == S_WIDE && excluded("WIDE"))
		    || (s == S_HANG && excluded("HANG")))
			continue;
		return s;
	}
}

static void generate(struct scen *sc)
{
	sc->shape = pick_shape(&sc->rng);
	sc->typed = !excluded("JSON") && sc->shape != S_WIDE
		    && chance(&sc->rng, 30);
	sc->hang_kernel = -1;
	for (int tries = 0;; tries++) {
		free_topology(sc);
		switch (tries < 50 ? sc->shape : S_CHAIN) {
		case S_CHAIN: gen_chain(sc); break;
		case S_DAG: gen_dag(sc); break;
		case S_WIDE: gen_wide(sc); break;
		case S_HANG: gen_hang(sc); break;
		}
		unreplicate_pairs(sc);
		spare_replicas(sc);
		if (tame(sc))
			break;
	}
	sc->may_deactivate = !excluded("DEACTIVATE") && sc->shape != S_HANG;
	sc->may_terminate = !excluded("TERMINATE") && sc->shape != S_HANG
			    && chance(&sc->rng, 20);
	sc->may_terminate_all = !excluded("TERMINATE_ALL")
				&& sc->shape != S_HANG && chance(&sc->rng, 5);
	/* Not with many kernels: each one left blocked takes its whole
	 * timeout to terminate. */
	sc->early_stop = !excluded("EARLY_STOP") && sc->shape != S_HANG
			 && sc->nk <= 16 && chance(&sc->rng, 15);
	describe(sc);
}

/* ---- building it with the API --------------------------------------- */

static void check_rc(rk_error rc, const char *what, const char *id)
{
	if (rc != RK_OK)
		fail("%s %s: %s (%s)", what, id, rk_strerror(rc), rk_errmsg());
}

static void launch_all(struct scen *sc)
{
	rk_runtime_options ro = RK_RUNTIME_OPTIONS_INIT;

	ro.telemetry = 1;
	ro.default_queue_size = 16;
	ro.spin_ns = (uint32_t[]){ 0, 1000, 100000 }[below(&sc->rng, 3)];
	check_rc(rk_runtime_new(&ro, &sc->rt), "runtime", "new");
	for (int i = 0; i < sc->nk; i++) {
		const rk_kernel_desc *d = desc_of(sc->k[i].kind, sc->typed);
		if (!rk_find_kernel(sc->rt, d->name))
			check_rc(rk_register_kernel(sc->rt, d), "register",
				 d->name);
	}
	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		rk_launch_options o = RK_LAUNCH_OPTIONS_INIT;
		char idx[16], n[24];
		snprintf(idx, sizeof(idx), "%d", i);
		snprintf(n, sizeof(n), "%lld", (long long)m->n);
		rk_param mine[] = { { "idx", idx }, { "n", n }, { NULL, NULL } };
		rk_param slow[] = { { "us", n }, { NULL, NULL } };
		o.kernel = desc_of(m->kind, sc->typed)->name;
		o.queue_size = m->queue;
		o.input_policy = m->in_pol;
		o.output_policy = m->out_pol;
		o.replicas = m->replicas;
		o.params = m->kind == K_SLOW ? slow
			   : m->kind == K_TWICE ? NULL : mine;
		check_rc(rk_launch(sc->rt, m->id, NULL, &o), "launch", m->id);
	}
	for (int i = 0; i < sc->nk; i++)
		for (int j = 0; j < sc->k[i].n_down; j++)
			check_rc(rk_connect(sc->rt, sc->k[i].id,
					    sc->k[sc->k[i].down[j]].id),
				 "connect", sc->k[i].id);
	for (int i = sc->nk - 1; i >= 0; i--)
		check_rc(rk_activate(sc->rt, sc->k[i].id), "activate",
			 sc->k[i].id);
}

static bool gone(struct scen *sc, int k)
{
	return __atomic_load_n(&sc->k[k].terminated, __ATOMIC_ACQUIRE)
	       || __atomic_load_n(&sc->ended, __ATOMIC_ACQUIRE);
}

/* ---- the clients ------------------------------------------------------ */

static double pick_timeout(struct rng *r)
{
	static const double t[] = { 0, 0.001, 0.01, 0.05, 0.2 };
	return t[below(r, 5)];
}

static size_t encode_for(const struct mk *m, const struct wire *w, bool text,
			 char *buf, size_t cap)
{
	if (m->json || text)
		return json_of(w, buf, cap);
	memcpy(buf, w, sizeof(*w));
	return sizeof(*w);
}

/* A send refused: expected while the queue is full or the kernel gone. */
static void refused(struct stream *s, int target, rk_error rc,
		    const char *what)
{
	struct scen *sc = s->sc;

	if (rc == RK_EFULL || rc == RK_ETIMEDOUT)
		return;
	if ((rc == RK_ENOTFOUND || rc == RK_ESTATE) && gone(sc, target))
		return;
	fail("%s to %s: %s (%s)", what, sc->k[target].id, rk_strerror(rc),
	     rk_errmsg());
}

/* One message, by rk_send, rk_send_env or rk_send_json. */
static void send_one(struct stream *s, uint64_t q)
{
	struct scen *sc = s->sc;
	int t = s->targets[q % (uint64_t)s->n_targets];
	struct mk *m = &sc->k[t];
	struct wire w = { (uint64_t)s->no << 32 | q, 0 };
	double to = pick_timeout(&s->rng);
	uint32_t how = below(&s->rng, 3);
	bool as_json = how == 2 && (sc->typed);
	char buf[96];
	size_t len = encode_for(m, &w, as_json, buf, sizeof(buf));
	rk_envelope env = RK_ENVELOPE_INIT;
	rk_error rc;
	const char *what = as_json ? "rk_send_json" : how == 1 ? "rk_send_env"
			   : "rk_send";

	uint64_t t0 = call_begin(what, m->id, to, limit_of(to));
	if (as_json)
		rc = rk_send_json(sc->rt, m->id, buf, len, to);
	else if (how == 1)
		rc = rk_send_env(sc->rt, m->id, &env, buf, len, to);
	else
		rc = rk_send(sc->rt, m->id, buf, len, to);
	call_end(t0);
	s->status[q] = rc == RK_OK ? 1 : 2;
	if (rc != RK_OK)
		refused(s, t, rc, what);
	else if (how == 1 && !as_json && env.message_id == 0)
		fail("rk_send_env to %s: no message id", m->id);
}

/* A run of messages to one target by rk_send_batch; returns how many. */
static uint64_t send_run(struct stream *s, uint64_t q)
{
	struct scen *sc = s->sc;
	struct mk *m = &sc->k[s->targets[0]];
	uint64_t n = 1 + below(&s->rng, 32);
	struct wire w[32];
	char text[32][96];
	const void *msgs[32];
	size_t lens[32], sent = 0;
	double to = pick_timeout(&s->rng);

	if (n > s->count - q)
		n = s->count - q;
	for (uint64_t i = 0; i < n; i++) {
		w[i] = (struct wire){ (uint64_t)s->no << 32 | (q + i), 0 };
		lens[i] = encode_for(m, &w[i], false, text[i], sizeof(text[i]));
		msgs[i] = text[i];
	}
	uint64_t t0 = call_begin("rk_send_batch", m->id, to, limit_of(to));
	rk_error rc = rk_send_batch(sc->rt, m->id, msgs, lens, n, to, &sent);
	call_end(t0);
	if (sent > n || (rc == RK_OK && sent != n))
		fail("rk_send_batch to %s: %zu of %" PRIu64 " sent, %s", m->id,
		     sent, n, rk_strerror(rc));
	for (uint64_t i = 0; i < n; i++)
		s->status[q + i] = i < sent ? 1 : 2;
	if (rc != RK_OK)
		refused(s, s->targets[0], rc, "rk_send_batch");
	return n;
}

static void *sender_main(void *arg)
{
	struct stream *s = arg;
	struct scen *sc = s->sc;

	my_slot = s->slot;
	for (uint64_t q = 0; q < s->count;) {
		if (now_ns() > sc->send_until_ns
		    || __atomic_load_n(&sc->ended, __ATOMIC_ACQUIRE))
			break;
		if (s->n_targets == 1 && chance(&s->rng, 25)) {
			q += send_run(s, q);
		} else {
			send_one(s, q);
			q++;
		}
		if (chance(&s->rng, 2))
			nap_us((long)below(&s->rng, 2000));
	}
	return NULL;
}

/* ---- the readers ------------------------------------------------------ */

static void log_wire(struct reader *r, const void *data, size_t len,
		     bool json)
{
	struct wire w;

	if (read_wire(data, len, json, &w) != 0)
		fail("unreadable message of %zu bytes from %s", len,
		     r->sc->k[r->sink].id);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->log = realloc(r->log, r->cap * sizeof(*r->log));
		if (!r->log)
			fail("out of memory");
	}
	r->log[r->n] = w;
	__atomic_store_n(&r->n, r->n + 1, __ATOMIC_RELEASE);
}

struct batch_arg {
	struct reader *r;
	size_t stop_at;                 /* leave the rest queued */
	size_t taken;
};

static int take(void *arg, const rk_envelope *env, const void *data,
		size_t len)
{
	struct batch_arg *b = arg;

	(void)env;
	if (b->taken == b->stop_at)
		return 1;
	log_wire(b->r, data, len, b->r->sc->k[b->r->sink].json);
	b->taken++;
	return 0;
}

/* One receive, one of four ways. */
static rk_error receive_some(struct reader *r, double to)
{
	struct scen *sc = r->sc;
	struct mk *m = &sc->k[r->sink];
	char buf[256];
	size_t len = 0, count = 0;
	rk_envelope env;
	rk_error rc;
	uint32_t how = below(&r->rng, 4);

	if (how == 3 && !sc->typed)
		how = 0;
	if (how == 2) {
		size_t max = 1 + below(&r->rng, 64);
		struct batch_arg b = { r, chance(&r->rng, 20)
				       ? below(&r->rng, (uint32_t)max) : max, 0 };
		uint64_t t0 = call_begin("rk_receive_batch", m->id, to,
					 limit_of(to));
		rc = rk_receive_batch(sc->rt, m->id, max, to, take, &b, &count);
		call_end(t0);
		if (rc == RK_OK && count != b.taken)
			fail("rk_receive_batch from %s: count %zu, took %zu",
			     m->id, count, b.taken);
		return rc;
	}
	const char *what = how == 3 ? "rk_receive_json" : how == 1
			   ? "rk_receive_env" : "rk_receive";
	uint64_t t0 = call_begin(what, m->id, to, limit_of(to));
	if (how == 3)
		rc = rk_receive_json(sc->rt, m->id, buf, sizeof(buf), &len, to);
	else if (how == 1)
		rc = rk_receive_env(sc->rt, m->id, &env, buf, sizeof(buf), &len,
				    to);
	else
		rc = rk_receive(sc->rt, m->id, buf, sizeof(buf), &len, to);
	call_end(t0);
	if (rc == RK_OK)
		log_wire(r, buf, len, m->json || how == 3);
	return rc;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	struct scen *sc = r->sc;

	my_slot = r->slot;
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (r->stop_after && r->n >= r->stop_after)
			break;  /* a reader that goes away early */
		rk_error rc = receive_some(r, pick_timeout(&r->rng));
		if (rc == RK_OK || rc == RK_ETIMEDOUT)
			continue;
		if ((rc == RK_ENOTFOUND || rc == RK_ESTATE) && gone(sc, r->sink))
			break;
		fail("receive from %s: %s (%s)", sc->k[r->sink].id,
		     rk_strerror(rc), rk_errmsg());
	}
	return NULL;
}

/* ---- lifecycle operations while messages flow ----------------------- */

static int pick_alive(struct scen *sc, struct rng *r)
{
	for (int tries = 0; tries < 16; tries++) {
		int k = (int)below(r, (uint32_t)sc->nk);
		if (!gone(sc, k))
			return k;
	}
	return -1;
}

static void lifecycle(struct scen *sc, const char *what, const char *id,
		      rk_error (*op)(rk_runtime *, const char *))
{
	/* No timeout to give, but the executor answers between messages:
	 * a kernel of ours never takes more than 20 ms on one. */
	uint64_t t0 = call_begin(what, id, 0, limit_of(1.0));
	rk_error rc = op(sc->rt, id);
	call_end(t0);
	if (rc != RK_OK)
		fail("%s %s: %s (%s)", what, id, rk_strerror(rc), rk_errmsg());
}

static void pause_some(struct scen *sc, struct rng *r)
{
	int k[2] = { pick_alive(sc, r), -1 };

	if (chance(r, 30))
		k[1] = pick_alive(sc, r);
	if (k[0] < 0 || k[1] == k[0])
		k[1] = -1;
	for (int i = 0; i < 2 && k[i] >= 0; i++)
		lifecycle(sc, "rk_deactivate", sc->k[k[i]].id, rk_deactivate);
	nap_us((long)below(r, 5000));
	for (int i = 0; i < 2 && k[i] >= 0; i++)
		lifecycle(sc, "rk_reactivate", sc->k[k[i]].id, rk_reactivate);
}

static void terminate_one(struct scen *sc, struct rng *r)
{
	int k = pick_alive(sc, r);
	double to = (double[]){ 0, 0.01, 0.05 }[below(r, 3)];

	if (k < 0)
		return;
	__atomic_store_n(&sc->k[k].terminated, 1, __ATOMIC_RELEASE);
	__atomic_add_fetch(&sc->terminations, 1, __ATOMIC_RELEASE);
	uint64_t t0 = call_begin("rk_terminate", sc->k[k].id, to,
				 limit_of(to + TERMINATE_GRACE));
	rk_error rc = rk_terminate(sc->rt, sc->k[k].id, to);
	call_end(t0);
	/* Our kernels never take more than 20 ms on a message: one that
	 * does not stop has lost its way in the runtime. */
	if (rc != RK_OK)
		fail("rk_terminate %s (%g s): %s (%s)", sc->k[k].id, to,
		     rk_strerror(rc), rk_errmsg());
}

static void terminate_everything(struct scen *sc)
{
	int alive = 0;

	__atomic_store_n(&sc->ended, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < sc->nk; i++)
		alive += !__atomic_load_n(&sc->k[i].terminated, __ATOMIC_ACQUIRE);
	/* Kernel after kernel, each with the timeout. */
	uint64_t t0 = call_begin("rk_terminate_all", "*", 0.05,
				 limit_of(alive * (0.05 + TERMINATE_GRACE)));
	rk_error rc = rk_terminate_all(sc->rt, 0.05);
	call_end(t0);
	if (rc != RK_OK)
		fail("rk_terminate_all: %s (%s)", rk_strerror(rc), rk_errmsg());
}

static void *chaos_main(void *arg)
{
	struct chaos *c = arg;
	struct scen *sc = c->sc;
	bool terminated_all = false;

	my_slot = c->slot;
	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) && !terminated_all) {
		nap_us(1000 + (long)below(&c->rng, 8000));
		if (sc->may_terminate_all && chance(&c->rng, 2)) {
			terminate_everything(sc);
			terminated_all = true;
		} else if (sc->may_terminate && chance(&c->rng, 4)) {
			terminate_one(sc, &c->rng);
		} else if (sc->may_deactivate && chance(&c->rng, 70)) {
			pause_some(sc, &c->rng);
		}
	}
	return NULL;
}

/* ---- settling and the snapshot --------------------------------------- */

static uint64_t reader_total(struct scen *sc, int sink)
{
	for (int i = 0; i < sc->nr; i++)
		if (sc->r[i].sink == sink)
			return __atomic_load_n(&sc->r[i].n, __ATOMIC_ACQUIRE);
	return 0;
}

/* Telemetry of every kernel still there; a digest of it all. */
static uint64_t snapshot(struct scen *sc)
{
	uint64_t h = 0;

	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		if (gone(sc, i))
			continue;
		check_rc(rk_get_telemetry(sc->rt, m->id, &m->t), "telemetry",
			 m->id);
		rk_telemetry *t = &m->t;
		if (t->input.depth > m->max_depth)
			m->max_depth = t->input.depth;
		uint64_t v[] = { t->messages_received, t->messages_processed,
				 t->messages_sent, t->messages_dropped,
				 t->errors, t->input.depth, t->output.depth,
				 t->input.dropped, t->input.rejected,
				 reader_total(sc, i) };
		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++)
			h = mix64(h ^ v[j]);
	}
	return h;
}

/* Wait until nothing moves for 300 ms; false if it still moves at the
 * limit (a slow kernel with a backlog: not a fault, but no exact
 * accounting then). */
static bool settle(struct scen *sc, double limit_s)
{
	uint64_t end = now_ns() + (uint64_t)(limit_s * 1e9 * factor);
	uint64_t last = snapshot(sc), since = now_ns();

	while (now_ns() < end) {
		nap_us(20000);
		uint64_t h = snapshot(sc);
		if (h != last) {
			last = h;
			since = now_ns();
		} else if (now_ns() - since > 300000000u) {
			return true;
		}
	}
	return false;
}

/* ---- the checks -------------------------------------------------------- */

/* Open addressing over (a, b) keys; a == 0 is an empty slot. */
struct ent {
	uint64_t a, b;
	uint32_t expect, got;
};

struct table {
	struct ent *e;
	size_t cap, n;
};

static struct ent *lookup(struct table *t, uint64_t a, uint64_t b, bool add)
{
	if (add && 2 * (t->n + 1) > t->cap) {
		struct table bigger = { calloc(t->cap ? 2 * t->cap : 4096,
					       sizeof(struct ent)),
					t->cap ? 2 * t->cap : 4096, 0 };
		if (!bigger.e)
			fail("out of memory");
		for (size_t i = 0; i < t->cap; i++)
			if (t->e[i].a)
				*lookup(&bigger, t->e[i].a, t->e[i].b, true)
					= t->e[i];
		free(t->e);
		*t = bigger;
	}
	if (!t->cap)
		return NULL;
	for (size_t i = mix64(a * 31 + b) & (t->cap - 1);;
	     i = (i + 1) & (t->cap - 1)) {
		struct ent *e = &t->e[i];
		if (e->a == a && e->b == b)
			return e;
		if (!e->a) {
			if (!add)
				return NULL;
			*e = (struct ent){ a, b, 0, 0 };
			t->n++;
			return e;
		}
	}
}

struct expectation {
	struct table want;      /* (sink, id), path: how many */
	struct table order;     /* (sink, stream), path: last seq + 1 */
};

static uint64_t want_key(int sink, uint64_t id)
{
	return (uint64_t)(sink + 1) << 40 | id;
}

static uint64_t order_key(int sink, uint64_t id)
{
	return (uint64_t)(sink + 1) << 8 | (id >> 32);
}

/* What message `id` makes at every sink, from kernel k on. */
static void expand(struct scen *sc, struct expectation *x, int k,
		   uint64_t id, uint64_t path)
{
	struct mk *m = &sc->k[k];
	uint64_t out[2];
	int n = outputs_of(m->kind, k, m->n, id, path, out);

	for (int i = 0; i < n; i++) {
		if (m->n_down == 0) {
			struct ent *e = lookup(&x->want, want_key(k, id), out[i],
					       true);
			/* Two routes to one path: no order among them. */
			if (++e->expect > 1)
				lookup(&x->order, order_key(k, id), out[i],
				       true)->got = 1;
		}
		for (int j = 0; j < m->n_down; j++)
			expand(sc, x, m->down[j], id, out[i]);
	}
}

static int stream_target(struct stream *s, uint64_t q)
{
	return s->targets[q % (uint64_t)s->n_targets];
}

static void expect_all(struct scen *sc, struct expectation *x)
{
	for (int s = 0; s < sc->ns; s++)
		for (uint64_t q = 0; q < sc->s[s].count; q++)
			if (sc->s[s].status[q] == 1)
				expand(sc, x, stream_target(&sc->s[s], q),
				       (uint64_t)s << 32 | q, 0);
}

/* Nothing refused or unknown arrives, nothing twice, and one stream by
 * one path keeps its order. */
static void check_arrivals(struct scen *sc, struct expectation *x)
{
	for (int i = 0; i < sc->nr; i++) {
		struct reader *r = &sc->r[i];
		const char *sink = sc->k[r->sink].id;
		for (size_t j = 0; j < r->n; j++) {
			struct wire w = r->log[j];
			uint64_t s = w.id >> 32, q = seq_of(w.id);
			struct ent *e = lookup(&x->want, want_key(r->sink, w.id),
					       w.path, false);
			if (!e && s < (uint64_t)sc->ns && q < sc->s[s].count
			    && sc->s[s].status[q] == 2)
				fail("stream %" PRIu64 " seq %" PRIu64 " arrived "
				     "at %s though its send was refused", s, q,
				     sink);
			if (!e)
				fail("%s gave a message never sent that way: "
				     "stream %" PRIu64 " seq %" PRIu64 " path %"
				     PRIx64, sink, s, q, w.path);
			if (++e->got > e->expect)
				fail("stream %" PRIu64 " seq %" PRIu64 " path %"
				     PRIx64 " arrived at %s %u times, expected "
				     "%u", s, q, w.path, sink, e->got, e->expect);
			struct ent *o = lookup(&x->order,
					       order_key(r->sink, w.id), w.path,
					       true);
			if (!o->got && o->expect > q)
				fail("out of order at %s: stream %" PRIu64
				     " seq %" PRIu64 " after seq %u (path %"
				     PRIx64 ")", sink, s, q, o->expect - 1,
				     w.path);
			if (!o->got)
				o->expect = (uint32_t)q + 1;
		}
	}
}

/* With no loss anywhere and every queue empty, everything arrived. */
static void check_complete(struct scen *sc, struct expectation *x)
{
	for (size_t i = 0; i < x->want.cap; i++) {
		struct ent *e = &x->want.e[i];
		if (e->a && e->got != e->expect) {
			uint64_t id = e->a & ((UINT64_C(1) << 40) - 1);
			fail("stream %" PRIu64 " seq %u path %" PRIx64
			     " arrived %u of %u times at %s, with nothing "
			     "dropped, rejected, failed or queued",
			     id >> 32, seq_of(id), e->b, e->got, e->expect,
			     sc->k[(e->a >> 40) - 1].id);
		}
	}
}

/* Outputs a kernel failed to deliver (reject or a closed edge): its
 * drops less those of its own queues. */
static uint64_t lost_of(const struct mk *m)
{
	const rk_telemetry *t = &m->t;
	uint64_t own = m->n_down ? 0 : t->output.dropped;
	return t->messages_dropped - t->input.dropped - own;
}

static uint64_t groups_of(const struct mk *m)
{
	return m->n_down ? (uint64_t)m->n_down : 1;
}

static bool fed_by_replicas(struct scen *sc, const struct mk *m)
{
	for (int j = 0; j < m->n_up; j++)
		if (sc->k[m->up[j]].replicas > 1)
			return true;
	return false;
}

static void check_high_water(struct mk *m);

/* Whether a kernel may be left blocked on a full output at the end:
 * with a reader that stopped, or a kernel downstream deactivated or
 * terminated.  Its code then holds a message that is still queued. */
static bool may_block(struct scen *sc)
{
	return sc->early_stop || sc->may_deactivate
	       || __atomic_load_n(&sc->terminations, __ATOMIC_RELAXED);
}

/* One kernel's own books: what it took, did and passed on. */
static void check_kernel(struct scen *sc, int i)
{
	struct mk *m = &sc->k[i];
	rk_telemetry *t = &m->t;
	struct kcount *c = &kc[i];
	uint64_t lost = lost_of(m);

	if (t->messages_dropped < t->input.dropped
				  + (m->n_down ? 0 : t->output.dropped))
		fail("%s: messages_dropped %" PRIu64 " < its queues' drops",
		     m->id, t->messages_dropped);
	if (t->messages_received != t->messages_processed + t->errors)
		fail("%s: received %" PRIu64 " != processed %" PRIu64
		     " + errors %" PRIu64, m->id, t->messages_received,
		     t->messages_processed, t->errors);
	uint64_t emits = kc_get(&c->emits);
	if (m->kind == K_SLOW)
		emits = t->messages_received;
	if (m->kind != K_SLOW && m->kind != K_TWICE) {
		/* A message counts as received when its slot goes back:
		 * one the code holds (a batch, blocked on a full output)
		 * is still queued. */
		uint64_t calls = kc_get(&c->calls);
		uint64_t held = !may_block(sc) ? 0
				: (m->kind == K_BATCH ? 64u : 1u)
				  * (m->replicas > 1 ? m->replicas : 1u);
		if (t->messages_received > calls
		    || calls > t->messages_received + held)
			fail("%s: received %" PRIu64 " but its code saw %"
			     PRIu64, m->id, t->messages_received, calls);
		uint64_t fails = kc_get(&c->fails);
		if (t->errors > fails || fails > t->errors + held)
			fail("%s: errors %" PRIu64 " but its code failed %"
			     PRIu64, m->id, t->errors, fails);
	}
	/* test_fanout stops after a failed emit: exact only without loss. */
	if (m->kind == K_TWICE && lost == 0)
		emits = 2 * t->messages_received;
	/* A message the code holds (blocked on a full output) may have
	 * some of its outputs out and some not yet. */
	uint64_t out = t->messages_sent + lost, want = emits * groups_of(m);
	uint64_t slack = !may_block(sc) ? 0
			 : groups_of(m) * (m->kind == K_BATCH ? 64 : 1)
			   * (uint64_t)max_copies(m->kind)
			   * (m->replicas > 1 ? m->replicas : 1u);
	if ((m->kind != K_TWICE || lost == 0)
	    && (out > want + slack || want > out + slack))
		fail("%s: sent %" PRIu64 " + lost %" PRIu64 " != %" PRIu64
		     " outputs x %" PRIu64 " edges", m->id, t->messages_sent,
		     lost, emits, groups_of(m));
	if (!excluded("HIGH_WATER"))
		check_high_water(m);
}

/* The most a queue of this size and policy holds: its size, the end
 * of input's own slot, and under drop_oldest as many again until the
 * kernel drops the oldest (port.h). */
static uint64_t most_held(uint32_t queue, rk_backpressure policy)
{
	return (policy == RK_BP_DROP_OLDEST ? 2 * (uint64_t)queue : queue) + 1;
}

/* Queue telemetry: a queue never holds more than it may, and held at
 * least what was seen in it. */
static void check_high_water(struct mk *m)
{
	rk_telemetry *t = &m->t;

	if (t->input.high_water > most_held(m->queue, m->in_pol))
		fail("%s: input high water %" PRIu64 " > queue size %u",
		     m->id, t->input.high_water, m->queue);
	if (!m->n_down && !m->replicas
	    && t->output.high_water > most_held(m->queue, m->out_pol))
		fail("%s: output high water %" PRIu64 " > queue size %u",
		     m->id, t->output.high_water, m->queue);
	if (t->messages_received && !t->input.high_water)
		fail("%s: received %" PRIu64 " with input high water 0", m->id,
		     t->messages_received);
	if (!m->n_up && m->replicas < 2 && t->input.high_water < m->max_depth)
		fail("%s: input high water %" PRIu64 " < depth %" PRIu64
		     " seen", m->id, t->input.high_water, m->max_depth);
}

/* What came into a kernel is taken, queued or dropped.  Exact where
 * every upstream feeds only it (its sent count is then all ours) and
 * no replica markers sit in its queues. */
static void check_input(struct scen *sc, int i)
{
	struct mk *m = &sc->k[i];
	uint64_t in = m->client_ok;

	for (int j = 0; j < m->n_up; j++) {
		struct mk *u = &sc->k[m->up[j]];
		if (u->n_down != 1 || gone(sc, m->up[j]))
			return;         /* not attributable: see check_global */
		in += u->t.messages_sent;
	}
	uint64_t out = m->t.messages_received + m->t.input.depth
		       + m->t.input.dropped;
	bool markers = fed_by_replicas(sc, m)
		       && (m->t.input.depth || m->t.input.dropped);
	if (markers ? in > out : in != out)
		fail("%s: %" PRIu64 " came in, but received %" PRIu64
		     " + queued %" PRIu64 " + dropped %" PRIu64 " = %" PRIu64,
		     m->id, in, m->t.messages_received, m->t.input.depth,
		     m->t.input.dropped, out);
}

/* What a sink sent is received, queued or dropped on its output. */
static void check_sink(struct scen *sc, int i)
{
	struct mk *m = &sc->k[i];
	uint64_t got = reader_total(sc, i);
	uint64_t out = got + m->t.output.depth + m->t.output.dropped;

	/* A replicated sink's queues hold markers too. */
	bool markers = m->replicas > 1 && m->t.output.depth;
	if (markers ? m->t.messages_sent > out : m->t.messages_sent != out)
		fail("%s: sent %" PRIu64 ", but received %" PRIu64
		     " + queued %" PRIu64 " + dropped %" PRIu64, m->id,
		     m->t.messages_sent, got, m->t.output.depth,
		     m->t.output.dropped);
}

struct totals {
	uint64_t accepted, into, taken, received, losses, queued;
	uint64_t held;                  /* batches held mid-emit, at most */
	bool markers, single;
};

/* The whole graph: every message accepted by a queue is taken, queued
 * or dropped there; with one output per message at most (no fan-out,
 * no copies), each accepted message ends exactly once. */
static void check_global(struct scen *sc, bool settled)
{
	struct totals s = { .single = true };
	rk_summary sum;

	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		rk_telemetry *t = &m->t;
		s.accepted += m->client_ok;
		s.into += m->client_ok + (m->n_down ? t->messages_sent : 0);
		s.taken += t->messages_received + t->input.depth
			   + t->input.dropped;
		s.received += m->n_down ? 0 : reader_total(sc, i);
		/* test_slow fails a message whose output is lost: one loss */
		s.losses += t->input.dropped + lost_of(m)
			    + (m->kind == K_SLOW ? 0 : t->errors)
			    + (m->n_down ? 0 : t->output.dropped);
		s.queued += t->input.depth + (m->n_down ? 0 : t->output.depth);
		if (m->replicas > 1 && (m->n_down || t->output.depth))
			s.markers = true;
		if (m->n_down > 1 || max_copies(m->kind) > 1
		    || m->kind == K_MULTI)
			s.single = false;
		/* A process_batch blocked on a full output has some of its
		 * batch's outputs out while the batch is still queued (its
		 * code may read any of it): counted twice until it returns. */
		if (m->kind == K_BATCH && may_block(sc))
			s.held += 64u * (m->replicas > 1 ? m->replicas : 1u);
	}
	bool exact = !s.markers || s.queued == 0;
	if (exact ? s.into != s.taken : s.into > s.taken)
		fail("all queues: %" PRIu64 " went in, %" PRIu64 " taken, "
		     "queued or dropped", s.into, s.taken);
	uint64_t ends = s.received + s.losses + s.queued;
	if (s.single && exact
	    && (s.accepted > ends || ends > s.accepted + s.held))
		fail("end to end: %" PRIu64 " accepted != %" PRIu64 " received"
		     " + %" PRIu64 " dropped, rejected or failed + %" PRIu64
		     " queued", s.accepted, s.received, s.losses, s.queued);
	check_rc(rk_get_summary(sc->rt, &sum), "summary", "");
	uint64_t processed = 0;
	for (int i = 0; i < sc->nk; i++)
		processed += sc->k[i].t.messages_processed;
	if (settled && sum.total_processed != processed)
		fail("summary: total_processed %" PRIu64 " != %" PRIu64,
		     sum.total_processed, processed);
}

static bool nothing_lost(struct scen *sc)
{
	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		uint64_t errs = m->kind == K_SLOW ? m->t.errors : 0;
		if (m->t.input.dropped || lost_of(m) || errs
		    || m->t.input.depth || m->t.output.depth
		    || (!m->n_down && m->t.output.dropped))
			return false;
	}
	return true;
}

static void count_client_ok(struct scen *sc)
{
	for (int s = 0; s < sc->ns; s++)
		for (uint64_t q = 0; q < sc->s[s].count; q++)
			if (sc->s[s].status[q] == 1)
				sc->k[stream_target(&sc->s[s], q)].client_ok++;
}

static void check_settled(struct scen *sc, bool settled)
{
	struct expectation x = { { NULL, 0, 0 }, { NULL, 0, 0 } };

	count_client_ok(sc);
	expect_all(sc, &x);
	check_arrivals(sc, &x);
	if (settled && !__atomic_load_n(&sc->terminations, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < sc->nk; i++) {
			check_kernel(sc, i);
			check_input(sc, i);
			if (!sc->k[i].n_down)
				check_sink(sc, i);
		}
		check_global(sc, settled);
		if (nothing_lost(sc) && !sc->early_stop)
			check_complete(sc, &x);
	} else if (settled) {
		/* Kernels terminated midway took their counters along:
		 * each remaining kernel's own books still balance. */
		for (int i = 0; i < sc->nk; i++) {
			if (gone(sc, i))
				continue;
			check_kernel(sc, i);
			bool up_gone = false;
			for (int j = 0; j < sc->k[i].n_up; j++)
				up_gone |= gone(sc, sc->k[i].up[j]);
			if (!up_gone)
				check_input(sc, i);
			if (!sc->k[i].n_down)
				check_sink(sc, i);
		}
	}
	free(x.want.e);
	free(x.order.e);
}

/* ---- running one scenario -------------------------------------------- */

static void start_clients(struct scen *sc)
{
	uint64_t per = stress_count(200 + below(&sc->rng, 2800));

	sc->ns = sc->shape == S_HANG ? 1 : 1 + (int)below(&sc->rng, 3);
	/* Several clients into one replicated kernel wait on each other. */
	for (int i = 0; i < sc->nk && excluded("REPLICA_SENDERS"); i++)
		if (sc->k[i].replicas > 1 && !sc->k[i].n_up)
			sc->ns = 1;
	for (int s = 0; s < sc->ns; s++) {
		struct stream *st = &sc->s[s];
		*st = (struct stream){ .sc = sc, .no = s, .slot = new_slot(),
				       .rng = fork_rng(&sc->rng) };
		st->targets = calloc((size_t)sc->nk, sizeof(int));
		for (int i = 0; i < sc->nk; i++)
			if (sc->k[i].n_up == 0)
				st->targets[st->n_targets++] = i;
		if (sc->shape != S_WIDE && st->n_targets > 1) {
			st->targets[0] = st->targets[below(&st->rng,
						(uint32_t)st->n_targets)];
			st->n_targets = 1;
		}
		st->count = sc->shape == S_HANG ? 64 : per;
		st->status = calloc(st->count, 1);
		if (!st->targets || !st->status)
			fail("out of memory");
	}
	for (int i = 0; i < sc->nk; i++) {
		if (sc->k[i].n_down)
			continue;
		struct reader *r = &sc->r[sc->nr++];
		*r = (struct reader){ .sc = sc, .sink = i, .slot = new_slot(),
				      .rng = fork_rng(&sc->rng) };
	}
	if (sc->early_stop)
		sc->r[below(&sc->rng, (uint32_t)sc->nr)].stop_after =
			1 + below(&sc->rng, 200);
	for (int i = 0; i < sc->nr; i++)
		pthread_create(&sc->r[i].thread, NULL, reader_main, &sc->r[i]);
	if (sc->shape == S_HANG)
		return;         /* hang_scenario sends itself */
	sc->send_until_ns = now_ns() + 800000000u;
	for (int s = 0; s < sc->ns; s++)
		pthread_create(&sc->s[s].thread, NULL, sender_main, &sc->s[s]);
	sc->chaos = (struct chaos){ .sc = sc, .slot = new_slot(),
				    .rng = fork_rng(&sc->rng) };
	pthread_create(&sc->chaos.thread, NULL, chaos_main, &sc->chaos);
}

static void stop_readers(struct scen *sc)
{
	for (int i = 0; i < sc->nr; i++)
		__atomic_store_n(&sc->r[i].stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < sc->nr; i++)
		pthread_join(sc->r[i].thread, NULL);
}

/* Terminate what is left, upstream first, and see that the reports
 * agree with the settled counters. */
static void teardown(struct scen *sc, bool settled)
{
	bool empty = settled;

	for (int i = 0; i < sc->nk; i++)
		if (sc->k[i].t.input.depth)
			empty = false;
	for (int i = 0; i < sc->nk; i++) {
		struct mk *m = &sc->k[i];
		rk_terminate_report rep;
		if (gone(sc, i))
			continue;
		/* A kernel blocked on a full output drains until the
		 * deadline: keep that short where queues are not empty. */
		double to = empty ? 0.5 : 0.1;
		uint64_t t0 = call_begin("rk_terminate_ex", m->id, to,
					 limit_of(to + TERMINATE_GRACE));
		rk_error rc = rk_terminate_ex(sc->rt, m->id, to, &rep);
		call_end(t0);
		check_rc(rc, "rk_terminate_ex", m->id);
		if (empty && rep.dropped_input)
			fail("%s: terminate dropped %" PRIu64 " inputs of an "
			     "empty queue", m->id, rep.dropped_input);
		if (empty && !m->n_down && m->replicas < 2
		    && rep.unread_output != m->t.output.depth)
			fail("%s: terminate left %" PRIu64 " unread, telemetry "
			     "said %" PRIu64, m->id, rep.unread_output,
			     m->t.output.depth);
	}
}

static void hang_released_now(void)
{
	pthread_mutex_lock(&hang_lock);
	hang_released = true;
	pthread_cond_broadcast(&hang_cond);
	pthread_mutex_unlock(&hang_lock);
}

static bool wait_hang_entered(double seconds)
{
	uint64_t end = now_ns() + (uint64_t)(seconds * 1e9);
	bool in = false;

	while (!in && now_ns() < end) {
		pthread_mutex_lock(&hang_lock);
		in = hang_entered;
		pthread_mutex_unlock(&hang_lock);
		if (!in)
			nap_us(1000);
	}
	return in;
}

/* A kernel hangs on message H of a batch: what it made of the messages
 * before must still come out, terminating it must time out on time,
 * and terminating the kernel after it must not wait for it. */
static void hang_scenario(struct scen *sc)
{
	struct stream *s = &sc->s[0];
	struct mk *h = &sc->k[sc->hang_kernel];
	uint64_t n = 2 + (uint64_t)h->n + below(&sc->rng, 20), before;
	const void *msgs[64];
	struct wire w[64];
	size_t lens[64], sent;

	if (n > 64)
		n = 64;
	for (uint64_t q = 0; q < n; q++) {
		w[q] = (struct wire){ q, 0 };
		msgs[q] = &w[q];
		lens[q] = sizeof(w[q]);
	}
	uint64_t t0 = call_begin("rk_send_batch", sc->k[0].id, 1.0,
				 limit_of(1.0));
	rk_error rc = rk_send_batch(sc->rt, sc->k[0].id, msgs, lens, n, 1.0,
				    &sent);
	call_end(t0);
	check_rc(rc, "rk_send_batch", sc->k[0].id);
	for (uint64_t q = 0; q < n; q++)
		s->status[q] = 1;
	if (!wait_hang_entered(2 * factor))
		fail("%s never reached message %lld", h->id, (long long)h->n);
	/* Each kernel of the chain makes one output of a message: the H
	 * messages before the hang are due at the sink. */
	before = (uint64_t)h->n;
	uint64_t end = now_ns() + (uint64_t)(1e9 * factor);
	while (reader_total(sc, sc->nk - 1) < before && now_ns() < end)
		nap_us(2000);
	if (!excluded("HANG_REPLIES") && reader_total(sc, sc->nk - 1) < before)
		fail("%s hangs on message %lld: %" PRIu64 " of the %" PRIu64
		     " outputs of the messages before it never came out",
		     h->id, (long long)h->n,
		     before - reader_total(sc, sc->nk - 1), before);
	if (sc->hang_kernel + 1 < sc->nk && chance(&sc->rng, 50)) {
		struct mk *d = &sc->k[sc->hang_kernel + 1];
		__atomic_store_n(&d->terminated, 1, __ATOMIC_RELEASE);
		t0 = call_begin("rk_terminate (downstream of a hang)", d->id,
				0.05, limit_of(0.05 + TERMINATE_GRACE));
		rc = rk_terminate(sc->rt, d->id, 0.05);
		call_end(t0);
		check_rc(rc, "rk_terminate", d->id);
	} else {
		t0 = call_begin("rk_terminate (a hang)", h->id, 0.05,
				limit_of(0.05 + TERMINATE_GRACE));
		rc = rk_terminate(sc->rt, h->id, 0.05);
		call_end(t0);
		if (rc != RK_ETIMEDOUT)
			fail("rk_terminate of %s hanging in its code: %s, "
			     "expected RK_ETIMEDOUT", h->id, rk_strerror(rc));
	}
	hang_released_now();
	__atomic_store_n(&sc->terminations, 1, __ATOMIC_RELEASE);
	stop_readers(sc);
}

static void run_scenario(uint64_t seed, int no)
{
	struct scen *sc = calloc(1, sizeof(*sc));

	if (!sc)
		fail("out of memory");
	__atomic_store_n(&scenario_no, no, __ATOMIC_RELAXED);
	sc->seed = mix64(mix64(seed) + (uint64_t)no);
	sc->no = no;
	sc->rng = (struct rng){ sc->seed };
	memset(kc, 0, sizeof(kc));
	hang_entered = hang_released = false;
	__atomic_store_n(&n_slots, 1, __ATOMIC_RELAXED);
	my_slot = 0;
	__atomic_store_n(&scenario_deadline_ns,
			 now_ns() + (uint64_t)(20e9 * factor), __ATOMIC_RELEASE);
	generate(sc);
	printf("# scenario %d: %s\n", no, topology_text);
	fflush(stdout);
	launch_all(sc);
	start_clients(sc);

	bool settled = false;
	if (sc->shape == S_HANG) {
		hang_scenario(sc);
	} else {
		for (int s = 0; s < sc->ns; s++)
			pthread_join(sc->s[s].thread, NULL);
		__atomic_store_n(&sc->chaos.stop, 1, __ATOMIC_RELEASE);
		pthread_join(sc->chaos.thread, NULL);
		if (!__atomic_load_n(&sc->ended, __ATOMIC_ACQUIRE)) {
			settled = settle(sc, 8);
			stop_readers(sc);
			settled = settled && settle(sc, 2);
		} else {
			stop_readers(sc);
		}
	}
	check_settled(sc, settled);
	if (!__atomic_load_n(&sc->ended, __ATOMIC_ACQUIRE))
		teardown(sc, settled);
	rk_runtime_free(sc->rt);
	__atomic_store_n(&scenario_deadline_ns, 0, __ATOMIC_RELEASE);

	for (int s = 0; s < sc->ns; s++) {
		free(sc->s[s].targets);
		free(sc->s[s].status);
	}
	for (int i = 0; i < sc->nr; i++)
		free(sc->r[i].log);
	printf("ok %d - scenario %d: %s%s, %d kernels%s%s%s\n", no + 1, no,
	       shape_names[sc->shape], sc->typed ? " typed" : "", sc->nk,
	       settled ? ", settled" : "",
	       __atomic_load_n(&sc->terminations, __ATOMIC_RELAXED)
	       ? ", terminations" : "",
	       __atomic_load_n(&sc->ended, __ATOMIC_RELAXED)
	       ? ", terminate_all" : "");
	fflush(stdout);
	free_topology(sc);
	free(sc);
}

/* ---- main --------------------------------------------------------------- */

static uint64_t parse_seed(const char *s)
{
	return strtoull(s, NULL, 0);
}

int main(int argc, char **argv)
{
	const char *env = getenv("RK_MODEL_SEED");
	double soak = 0;
	/* 12 scenarios; fewer only under the heaviest scaling (TSan):
	 * the messages per scenario are scaled already. */
	int only = -1, count = (int)stress_count(80);
	bool seeded = false;
	pthread_t dog;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--soak") == 0 && i + 1 < argc)
			soak = atof(argv[++i]);
		else if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc)
			only = atoi(argv[++i]);
		else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = atoi(argv[++i]);
		else if (argv[i][0] != '-' && !seeded) {
			master_seed = parse_seed(argv[i]);
			seeded = true;
		} else {
			fprintf(stderr, "usage: test-model [SEED] [--scenario N]"
				" [--count N] [--soak SECONDS]\n");
			return 2;
		}
	}
	if (!seeded)
		master_seed = env && *env ? parse_seed(env)
			      : mix64(now_ns() ^ (uint64_t)getpid());
	if (SANITIZED || stress_count(100) < 100)
		factor = 4;
	if (count > 12)
		count = 12;
	if (count < 2)
		count = 2;
	/* Fusion (RK_FUSE) for every other seed, unless it was asked for:
	 * its pass-through kernels may run on their producers' threads. */
	if (!getenv("RK_FUSE"))
		setenv("RK_FUSE", master_seed & 1 ? "1" : "0", 1);
	fprintf(stderr, "model: seed 0x%016" PRIx64 " (RK_FUSE=%s)\n",
		master_seed, getenv("RK_FUSE"));
	printf("# model: seed 0x%016" PRIx64 " (RK_FUSE=%s)\n", master_seed,
	       getenv("RK_FUSE"));
	pthread_create(&dog, NULL, watchdog, NULL);
	pthread_detach(dog);

	if (only >= 0) {
		printf("1..1\n");
		run_scenario(master_seed, only);
	} else if (soak > 0) {
		uint64_t end = now_ns() + (uint64_t)(soak * 1e9);
		int n = 0;
		while (now_ns() < end)
			run_scenario(master_seed, n++);
		printf("1..%d\n", n);
		fprintf(stderr, "model: %d scenarios in %.0f s, all passed\n",
			n, soak);
	} else {
		printf("1..%d\n", count);
		for (int n = 0; n < count; n++)
			run_scenario(master_seed, n);
	}
	return 0;
}
