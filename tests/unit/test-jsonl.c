/* test-jsonl.c - the library's JSON-lines edge: the reader gives the
 * same messages in the same order however the text is cut into pieces
 * (random pieces, seed printed), reports bad lines as SOURCE:LINE with
 * what came before delivered, counts what it skips; the writer's lines
 * and rounds; rk_receive_pipeline ends its wait when a kernel fails. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kernels.h"

struct in { int64_t value; };
static const rk_field in_fields[] = { RK_FIELD(struct in, value, RK_KIND_I64) };
static const rk_type in_type = RK_TYPE(struct in, "in", in_fields);

static unsigned seed;

/* What the reader delivered, per target: the bytes of each message
 * one after another, and each one's length. */
#define TARGETS 4
struct got {
	char *bytes[TARGETS];
	size_t len[TARGETS], n[TARGETS];
	size_t lens[TARGETS][4096];
	size_t batch;                   /* the most a batch may hold */
	size_t refuse_after;            /* take this many in all, then
					 * RK_EFULL; 0: take all */
	size_t taken;
};

static rk_error deliver(void *arg, size_t target, const void *const *msgs,
			const size_t *lens, size_t count, size_t *taken)
{
	struct got *g = arg;

	assert_true(target < TARGETS);
	assert_true(count >= 1 && count <= g->batch);
	for (size_t i = 0; i < count; i++) {
		if (g->refuse_after && target == 0
		    && g->taken == g->refuse_after) {
			*taken = i;
			return RK_EFULL;
		}
		if (target == 0)
			g->taken++;
		g->bytes[target] = realloc(g->bytes[target],
					   g->len[target] + lens[i]);
		memcpy(g->bytes[target] + g->len[target], msgs[i], lens[i]);
		g->len[target] += lens[i];
		g->lens[target][g->n[target]++] = lens[i];
	}
	*taken = count;
	return RK_OK;
}

static void got_free(struct got *g)
{
	for (int t = 0; t < TARGETS; t++)
		free(g->bytes[t]);
}

static rk_jsonl_reader *new_reader(struct got *g, size_t batch, int skip,
				   size_t max_line)
{
	rk_jsonl_reader_options o = RK_JSONL_READER_OPTIONS_INIT;
	rk_jsonl_reader *r;

	o.batch = (uint32_t)batch;
	o.skip = skip;
	o.max_line = max_line;
	o.deliver = deliver;
	o.deliver_arg = g;
	g->batch = batch;
	assert_int_equal(rk_jsonl_reader_new(&o, &r), RK_OK);
	return r;
}

/* Push text in pieces of random sizes (some empty), with or without
 * padding after each. */
static rk_error push_pieces(rk_jsonl_reader *r, const char *text, size_t len)
{
	size_t at = 0;
	rk_error rc = RK_OK;

	while (at < len && rc == RK_OK) {
		size_t n = (size_t)rand() % 300;
		if (n > len - at)
			n = len - at;
		bool padded = rand() % 2;
		char *piece = malloc(n + RK_JSON_PADDING);
		memcpy(piece, text + at, n);
		memset(piece + n, 'x', RK_JSON_PADDING);
		rc = rk_jsonl_reader_push(r, piece, n,
					  padded ? n + RK_JSON_PADDING : n);
		free(piece);
		at += n;
	}
	return rc == RK_OK ? rk_jsonl_reader_end(r) : rc;
}

/* The property: for random texts cut at random, every target gets
 * every message, in order, decoded for its type. */
static void test_reader_pieces_keep_every_message(void **unused)
{
	(void)unused;
	for (int round = 0; round < 200; round++) {
		char *text = NULL;
		size_t len = 0, cap = 0;
		int n = rand() % 800;
		int64_t *values = calloc((size_t)n + 1, sizeof(*values));
		for (int i = 0; i < n; i++) {
			char line[96];
			values[i] = (int64_t)rand() * (rand() % 2 ? 1 : -1);
			int m = snprintf(line, sizeof(line), "%s{\"value\": %lld}"
					 "%s%s", rand() % 5 ? "" : " ",
					 (long long)values[i],
					 rand() % 4 ? "" : "\r",
					 i == n - 1 && rand() % 2 ? "" : "\n");
			if (rand() % 10 == 0)
				m += snprintf(line + m, sizeof(line) - (size_t)m,
					      "%s", i == n - 1 ? "" : " \t\n");
			if (len + (size_t)m > cap)
				text = realloc(text, cap = 2 * (len + (size_t)m));
			memcpy(text + len, line, (size_t)m);
			len += (size_t)m;
		}
		struct got g = { 0 };
		rk_jsonl_reader *r = new_reader(&g, 1 + (size_t)rand() % 300, 0,
						0);
		assert_int_equal(rk_jsonl_reader_target(r, "typed", &in_type, 0),
				 RK_OK);
		assert_int_equal(rk_jsonl_reader_target(r, "json", &rk_type_json,
							0), RK_OK);
		assert_int_equal(rk_jsonl_reader_target(r, "raw", NULL, 0),
				 RK_OK);
		assert_int_equal(rk_jsonl_reader_target(r, "twin", &in_type, 0),
				 RK_OK);
		rk_error rc = push_pieces(r, text, len);
		if (rc != RK_OK)
			fail_msg("seed %u round %d: %s", seed, round, rk_errmsg());
		rk_jsonl_account a;
		rk_jsonl_reader_account(r, &a);
		assert_int_equal(a.delivered, (uint64_t)n);
		assert_int_equal(a.skipped, 0);
		for (int t = 0; t < TARGETS; t++)
			assert_int_equal(g.n[t], (size_t)n);
		for (int i = 0; i < n; i++) {
			struct in v0, v3;
			memcpy(&v0, g.bytes[0] + (size_t)i * sizeof(v0), sizeof(v0));
			memcpy(&v3, g.bytes[3] + (size_t)i * sizeof(v3), sizeof(v3));
			if (v0.value != values[i] || v3.value != values[i])
				fail_msg("seed %u round %d: message %d is %lld/%lld,"
					 " not %lld", seed, round, i,
					 (long long)v0.value, (long long)v3.value,
					 (long long)values[i]);
		}
		/* json and raw keep the text of each line as it was (the
		 * raw target keeps the \r too). */
		assert_int_equal(g.len[1] <= g.len[2], true);
		rk_jsonl_reader_free(r);
		got_free(&g);
		free(values);
		free(text);
	}
}

/* A bad line stops the reading, naming SOURCE:LINE; what came before
 * is delivered, nothing after. */
static void test_reader_bad_line_stops(void **unused)
{
	(void)unused;
	const char *text = "{\"value\": 1}\n\n{\"value\": 2}\n{\"value\": x}\n"
			   "{\"value\": 4}\n";
	struct got g = { 0 };
	rk_jsonl_reader *r = new_reader(&g, 256, 0, 0);

	rk_jsonl_reader_target(r, "k", &in_type, 0);
	rk_jsonl_reader_source(r, "in.json");
	assert_int_equal(rk_jsonl_reader_push(r, text, strlen(text),
					      strlen(text)), RK_ESCHEMA);
	assert_non_null(strstr(rk_errmsg(), "in.json:4: "));
	rk_jsonl_account a;
	rk_jsonl_reader_account(r, &a);
	assert_int_equal(a.delivered, 2);
	assert_int_equal(g.n[0], 2);
	assert_string_equal(a.bad, rk_errmsg());
	/* Ended: every later call says why. */
	assert_int_equal(rk_jsonl_reader_push(r, "{\"value\": 5}\n", 13, 13),
			 RK_ESCHEMA);
	assert_int_equal(rk_jsonl_reader_end(r), RK_ESCHEMA);
	assert_int_equal(g.n[0], 2);
	rk_jsonl_reader_free(r);
	got_free(&g);
}

/* With skip, bad lines are counted and the last one named. */
static void test_reader_skip_counts(void **unused)
{
	(void)unused;
	const char *text = "{\"value\": 1}\nnope\n{\"value\": 2}\n[]\n"
			   "{\"value\": 3}";
	struct got g = { 0 };
	rk_jsonl_reader *r = new_reader(&g, 2, 1, 0);

	rk_jsonl_reader_target(r, "k", &in_type, 0);
	assert_int_equal(rk_jsonl_reader_push(r, text, strlen(text),
					      strlen(text)), RK_OK);
	rk_jsonl_account a;
	rk_jsonl_reader_account(r, &a);
	assert_true(a.partial);         /* the last line has no newline */
	assert_int_equal(rk_jsonl_reader_end(r), RK_OK);
	rk_jsonl_reader_account(r, &a);
	assert_int_equal(a.delivered, 3);
	assert_int_equal(a.skipped, 2);
	assert_int_equal(a.lines, 5);
	assert_false(a.partial);
	assert_non_null(strstr(a.bad, "<stdin>:4: "));
	rk_jsonl_reader_free(r);
	got_free(&g);
}

/* Lines longer than max_line, whole in a piece or cut into many: bad,
 * at their own line; a line of exactly max_line bytes is fine. */
static void test_reader_long_lines(void **unused)
{
	(void)unused;
	/* max 16: line 2 has 17 bytes, line 3 has 16. */
	const char *text = "{\"value\": 1}\n{\"value\":     22}\n"
			   "{\"value\":    3}\n";

	for (int cut = 0; cut < 2; cut++) {
		struct got g = { 0 };
		rk_jsonl_reader *r = new_reader(&g, 256, 1, 16);
		rk_jsonl_reader_target(r, "k", &in_type, 0);
		size_t len = strlen(text);
		for (size_t i = 0; i < len; i += cut ? 1 : len)
			assert_int_equal(rk_jsonl_reader_push(r, text + i,
							      cut ? 1 : len,
							      cut ? 1 : len),
					 RK_OK);
		assert_int_equal(rk_jsonl_reader_end(r), RK_OK);
		rk_jsonl_account a;
		rk_jsonl_reader_account(r, &a);
		assert_int_equal(a.delivered, 2);
		assert_int_equal(a.skipped, 1);
		assert_string_equal(a.bad, "<stdin>:2: line is longer than 16 "
				    "bytes");
		rk_jsonl_reader_free(r);
		got_free(&g);
	}
}

/* A message bigger than a target takes is a bad line, named. */
static void test_reader_max_message(void **unused)
{
	(void)unused;
	struct got g = { 0 };
	rk_jsonl_reader *r = new_reader(&g, 256, 0, 0);

	rk_jsonl_reader_target(r, "kernel 'small'", NULL, 8);
	assert_int_equal(rk_jsonl_reader_push(r, "1234\n123456789\n", 15, 15),
			 RK_ESCHEMA);
	assert_non_null(strstr(rk_errmsg(), "<stdin>:2: a message of 9 bytes "
			       "is over kernel 'small''s limit of 8"));
	assert_int_equal(g.n[0], 1);
	rk_jsonl_reader_free(r);
	got_free(&g);
}

/* A delivery refused part way: the error comes back, and what was
 * taken is what the account says. */
static void test_reader_refused_delivery(void **unused)
{
	(void)unused;
	struct got g = { .refuse_after = 3 };
	rk_jsonl_reader *r = new_reader(&g, 256, 0, 0);
	char text[200] = "";

	for (int i = 0; i < 10; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "{\"value\": %d}\n", i);
	rk_jsonl_reader_target(r, "k", &in_type, 0);
	assert_int_equal(rk_jsonl_reader_push(r, text, strlen(text),
					      strlen(text)), RK_OK);
	assert_int_equal(rk_jsonl_reader_end(r), RK_EFULL);
	rk_jsonl_account a;
	rk_jsonl_reader_account(r, &a);
	assert_int_equal(a.delivered, 3);
	assert_int_equal(rk_jsonl_reader_push(r, text, 5, 5), RK_EFULL);
	rk_jsonl_reader_free(r);
	got_free(&g);
}

/* Line numbers count per source. */
static void test_reader_sources(void **unused)
{
	(void)unused;
	struct got g = { 0 };
	rk_jsonl_reader *r = new_reader(&g, 256, 1, 0);

	rk_jsonl_reader_target(r, "k", &in_type, 0);
	rk_jsonl_reader_source(r, "a.json");
	rk_jsonl_reader_push(r, "{\"value\": 1}\nbad\n", 17, 17);
	rk_jsonl_reader_end(r);
	rk_jsonl_account a;
	rk_jsonl_reader_account(r, &a);
	assert_non_null(strstr(a.bad, "a.json:2: "));
	rk_jsonl_reader_source(r, "b.json");
	rk_jsonl_reader_push(r, "{\"value\": 1}\n{\"value\": 2}\n{}\n", 29, 29);
	rk_jsonl_reader_end(r);
	rk_jsonl_reader_account(r, &a);
	assert_non_null(strstr(a.bad, "b.json:3: "));
	assert_int_equal(a.delivered, 3);
	rk_jsonl_reader_free(r);
	got_free(&g);
}

/* ---- the writer ---------------------------------------------------- */

struct sink {
	char text[1 << 16];
	size_t len, writes;
};

static int write_sink(void *arg, const char *text, size_t len)
{
	struct sink *s = arg;

	assert_true(s->len + len <= sizeof(s->text));
	memcpy(s->text + s->len, text, len);
	s->len += len;
	s->writes++;
	return 0;
}

static void test_writer_lines_and_flushes(void **unused)
{
	(void)unused;
	static struct sink s;
	rk_jsonl_writer_options o = RK_JSONL_WRITER_OPTIONS_INIT;
	rk_jsonl_writer *w;
	rk_envelope env = RK_ENVELOPE_INIT;
	char want[1 << 16];
	size_t want_len = 0;

	o.flush_at = 100;
	o.write = write_sink;
	o.write_arg = &s;
	assert_int_equal(rk_jsonl_writer_new(&in_type, &o, &w), RK_OK);
	for (int64_t i = 0; i < 500; i++) {
		struct in v = { i * 7 - 1000 };
		assert_int_equal(rk_jsonl_writer_take(w, &env, &v, sizeof(v)), 0);
		want_len += (size_t)snprintf(want + want_len,
					     sizeof(want) - want_len,
					     "{\"value\":%lld}\n",
					     (long long)v.value);
	}
	assert_int_equal(rk_jsonl_writer_flush(w), RK_OK);
	assert_int_equal(s.len, want_len);
	assert_memory_equal(s.text, want, want_len);
	assert_true(s.writes > 50);     /* a write each ~100 bytes */
	assert_int_equal(rk_jsonl_writer_lines(w), 500);
	rk_jsonl_writer_free(w);
}

/* Without a write: a round, which ends where flush_at would pass. */
static void test_writer_rounds_and_envelope(void **unused)
{
	(void)unused;
	rk_jsonl_writer_options o = RK_JSONL_WRITER_OPTIONS_INIT;
	rk_jsonl_writer *w;
	rk_envelope env = { .message_id = 7, .correlation_id = 3,
			    .enqueue_ns = 99, .priority = 2 };
	size_t len;

	o.envelope = 1;
	o.flush_at = 400;
	assert_int_equal(rk_jsonl_writer_new(&rk_type_json, &o, &w), RK_OK);
	assert_int_equal(rk_jsonl_writer_take(w, &env, "[1,2]", 5), 0);
	const char *text = rk_jsonl_writer_text(w, &len);
	const char *line = "{\"message_id\":7,\"correlation_id\":3,"
			   "\"priority\":2,\"enqueue_ns\":99,\"message\":[1,2]}\n";
	assert_int_equal(len, strlen(line));
	assert_memory_equal(text, line, len);
	/* The round is full once the next line might not fit. */
	int taken = 1;
	while (rk_jsonl_writer_take(w, &env, "[1,2]", 5) == 0)
		taken++;
	rk_jsonl_writer_text(w, &len);
	assert_true(len <= 400 && taken >= 2);
	assert_int_equal(rk_jsonl_writer_flush(w), RK_EINVAL);
	rk_jsonl_writer_clear(w);
	rk_jsonl_writer_text(w, &len);
	assert_int_equal(len, 0);
	assert_int_equal(rk_jsonl_writer_take(w, &env, "[1,2]", 5), 0);
	rk_jsonl_writer_free(w);
}

/* ---- a pipeline's end hears of a failure --------------------------- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int take_any(void *arg, const rk_envelope *env, const void *data,
		    size_t len)
{
	(void)env;
	(void)len;
	memcpy(arg, data, sizeof(int64_t));
	return 0;
}

struct waiter {
	rk_runtime *rt;
	rk_error rc;
	double took;
	char why[256];
};

static void *wait_at_end(void *arg)
{
	struct waiter *w = arg;
	int64_t v;
	size_t n;
	double t0 = now_s();

	w->rc = rk_receive_pipeline(w->rt, "end", 1, 20.0, take_any, &v, &n);
	w->took = now_s() - t0;
	snprintf(w->why, sizeof(w->why), "%s", rk_errmsg());
	return NULL;
}

static void test_pipeline_end_hears_failure(void **unused)
{
	(void)unused;
	rk_runtime *rt = test_runtime(0, 64);
	struct waiter w = { .rt = rt };
	pthread_t t;
	int64_t v;
	size_t n;

	assert_int_equal(rk_launch(rt, "end", &test_doubler, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "end"), RK_OK);
	assert_int_equal(rk_launch(rt, "dies", &test_thread_exit, NULL), RK_OK);
	assert_int_equal(rk_activate(rt, "dies"), RK_OK);
	/* Nothing failed: the wait is a plain one. */
	assert_int_equal(rk_receive_pipeline(rt, "end", 1, 0.05, take_any, &v,
					     &n), RK_ETIMEDOUT);
	pthread_create(&t, NULL, wait_at_end, &w);
	struct timespec pause = { 0, 100000000 };
	nanosleep(&pause, NULL);
	send_i64(rt, "dies", 13);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, RK_EKERNEL);
	assert_true(w.took < 5.0);
	assert_non_null(strstr(w.why, "kernel 'dies' failed"));
	/* Later: what is ready comes first, then the failure, at once. */
	send_i64(rt, "end", 21);
	for (int i = 0; i < 1000; i++) {
		rk_error rc = rk_receive_pipeline(rt, "end", 1, RK_FOREVER,
						  take_any, &v, &n);
		if (rc == RK_OK) {
			assert_int_equal(v, 42);
			break;
		}
		assert_int_equal(rc, RK_EKERNEL);   /* not yet processed */
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	double t0 = now_s();
	assert_int_equal(rk_receive_pipeline(rt, "end", 1, RK_FOREVER, take_any,
					     &v, &n), RK_EKERNEL);
	assert_true(now_s() - t0 < 1.0);
	/* A plain receive is not concerned. */
	assert_int_equal(rk_receive_batch(rt, "end", 1, 0.05, take_any, &v, &n),
			 RK_ETIMEDOUT);
	rk_runtime_free(rt);
}

int main(void)
{
	const char *env = getenv("RK_SEED");
	seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
	printf("# seed %u (RK_SEED=%u to repeat)\n", seed, seed);
	srand(seed);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_pieces_keep_every_message),
		cmocka_unit_test(test_reader_bad_line_stops),
		cmocka_unit_test(test_reader_skip_counts),
		cmocka_unit_test(test_reader_long_lines),
		cmocka_unit_test(test_reader_max_message),
		cmocka_unit_test(test_reader_refused_delivery),
		cmocka_unit_test(test_reader_sources),
		cmocka_unit_test(test_writer_lines_and_flushes),
		cmocka_unit_test(test_writer_rounds_and_envelope),
		cmocka_unit_test(test_pipeline_end_hears_failure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
