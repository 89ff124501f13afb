/* mpi-transport.c - the MPI transport: channels for the edges of a
 * topology that cross ranks; see mpi-transport.h.  Built into
 * ringctl-mpi.so with Open MPI; uses only libringkernel's public API.
 *
 * A batch on the wire: a header (message count, flags), then for each
 * message its length (uint32) and its bytes.  Tags: 2*edge for batches,
 * 2*edge+1 for credits (int: how many more batches may come). */
#include "config.h"

#include <mpi.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ringkernel-plugin.h>

#include "mpi-transport.h"

#define WINDOW 16               /* batches in flight per channel */
#define FLAG_END 1u

struct batch_header {
	uint32_t count;
	uint32_t flags;
};

struct channel {
	size_t edge;
	int peer;                       /* the other end's rank */
	char *dest;                     /* importer: the kernel fed here */
	char exporter_id[32];           /* exporter: its kernel id */
	rk_kernel_desc desc;            /* exporter: its kernel */
	/* exporter side: the kernel fills one buffer while the sender
	 * thread sends the other, so a batch on the wire is whatever came
	 * in while the last one went out */
	pthread_mutex_t lock;
	pthread_cond_t changed;
	char *filling, *sending;
	size_t filled, filled_count, cap_filling, cap_sending;
	bool ending;
	pthread_t sender;
	int credits;
	long granted, batches;
	atomic_bool done;
	/* importer side */
	pthread_t thread;
	bool started;
	atomic_bool finished;
};

static struct {
	int rank, size;
	rk_runtime *rt;
	rk_topology *topo;
	struct channel *out, *in;       /* exporters, importers */
	size_t n_out, n_in;
	char **dests;                   /* kernels fed from elsewhere */
	atomic_int *dest_left;          /* their remote producers still on */
	size_t n_dests;
} tr;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ringctl: rank %d: %s\n", tr.rank, why);
	MPI_Abort(MPI_COMM_WORLD, 1);
	_exit(1);
}

static void check_mpi(int rc, const char *what)
{
	if (rc != MPI_SUCCESS) {
		char s[MPI_MAX_ERROR_STRING];
		int len = 0;
		MPI_Error_string(rc, s, &len);
		fail("%s: %.*s", what, len, s);
	}
}

/* ---- the exporter: a kernel on the producer's rank ------------------ */

static int export_init(rk_ctx *ctx, const rk_param *params, void **state)
{
	(void)params;
	size_t edge = strtoul(rk_ctx_param(ctx, "edge"), NULL, 10);
	for (size_t i = 0; i < tr.n_out; i++)
		if (tr.out[i].edge == edge)
			*state = &tr.out[i];
	return *state ? 0 : 1;
}

/* Poll instead of blocking in MPI: its blocking calls spin a core,
 * which ranks sharing a machine cannot spare.  A short spin, then naps
 * growing to 200 us. */
static void backoff(unsigned *idle)
{
	if (++*idle < 64)
		return;
	unsigned us = *idle < 1000 ? 20 : 200;
	usleep(us);
}

static void wait_request(MPI_Request *req, const char *what)
{
	unsigned idle = 0;
	int done = 0;

	for (;;) {
		check_mpi(MPI_Test(req, &done, MPI_STATUS_IGNORE), what);
		if (done)
			return;
		backoff(&idle);
	}
}

static void receive_credit(struct channel *c)
{
	MPI_Request req;
	int more;

	check_mpi(MPI_Irecv(&more, 1, MPI_INT, c->peer, (int)(2 * c->edge + 1),
			    MPI_COMM_WORLD, &req), "waiting for credit");
	wait_request(&req, "waiting for credit");
	c->credits += more;
	c->granted += more;
}

static void send_buffer(struct channel *c, const char *buf, size_t bytes)
{
	MPI_Request req;

	while (c->credits == 0)
		receive_credit(c);
	c->credits--;
	check_mpi(MPI_Isend(buf, (int)bytes, MPI_BYTE, c->peer,
			    (int)(2 * c->edge), MPI_COMM_WORLD, &req),
		  "sending a batch");
	wait_request(&req, "sending a batch");
	c->batches++;
}

#define FILL_LIMIT (1u << 20)   /* bytes the kernel may run ahead */

static void *sender_main(void *arg)
{
	struct channel *c = arg;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (!c->filled_count && !c->ending)
			pthread_cond_wait(&c->changed, &c->lock);
		bool last = c->ending && !c->filled_count;
		/* Swap: the kernel fills the other buffer meanwhile. */
		char *buf = c->filling;
		size_t bytes = c->filled, count = c->filled_count;
		size_t cap = c->cap_filling;
		c->filling = c->sending;
		c->cap_filling = c->cap_sending;
		c->sending = buf;
		c->cap_sending = cap;
		c->filled = sizeof(struct batch_header);
		c->filled_count = 0;
		pthread_cond_broadcast(&c->changed);
		pthread_mutex_unlock(&c->lock);

		struct batch_header h = { (uint32_t)count, last ? FLAG_END : 0 };
		if (last)
			bytes = sizeof(h);
		memcpy(buf, &h, sizeof(h));
		send_buffer(c, buf, bytes);
		if (last)
			break;
	}
	/* The credits still owed, so that none is left unreceived at
	 * MPI_Finalize: the importer grants WINDOW, then one a batch. */
	while (c->granted < WINDOW + c->batches - 1)
		receive_credit(c);
	atomic_store(&c->done, true);
	return NULL;
}

static int export_batch(rk_ctx *ctx, const rk_msg *msgs, size_t count)
{
	struct channel *c = rk_ctx_state(ctx);
	size_t need = 0;

	for (size_t i = 0; i < count; i++)
		need += sizeof(uint32_t) + msgs[i].len;
	pthread_mutex_lock(&c->lock);
	/* Backpressure: wait while the sender is a full buffer behind. */
	while (c->filled_count && c->filled + need > FILL_LIMIT)
		pthread_cond_wait(&c->changed, &c->lock);
	if (c->filled + need > c->cap_filling) {
		size_t cap = 2 * (c->filled + need);
		char *grown = realloc(c->filling, cap);
		if (!grown)
			fail("out of memory");
		c->filling = grown;
		c->cap_filling = cap;
	}
	char *p = c->filling + c->filled;
	for (size_t i = 0; i < count; i++) {
		uint32_t len = (uint32_t)msgs[i].len;
		memcpy(p, &len, sizeof(len));
		memcpy(p + sizeof(len), msgs[i].data, len);
		p += sizeof(len) + len;
	}
	c->filled += need;
	c->filled_count += count;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* The end of the edge's input: what is filled goes, then the end. */
static int export_end(rk_ctx *ctx)
{
	struct channel *c = rk_ctx_state(ctx);

	pthread_mutex_lock(&c->lock);
	c->ending = true;
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static const rk_param_desc export_params[] = {
	{ "edge", "int", NULL, "the topology's edge this exporter carries" },
	{ NULL, NULL, NULL, NULL }
};

/* ---- the importer: a thread on the consumer's rank ------------------ */

static atomic_int *remote_left(const char *dest)
{
	for (size_t i = 0; i < tr.n_dests; i++)
		if (strcmp(tr.dests[i], dest) == 0)
			return &tr.dest_left[i];
	return NULL;
}

static void grant(struct channel *c, int n)
{
	MPI_Request req;

	check_mpi(MPI_Isend(&n, 1, MPI_INT, c->peer, (int)(2 * c->edge + 1),
			    MPI_COMM_WORLD, &req), "granting credit");
	wait_request(&req, "granting credit");
}

static void *import_main(void *arg)
{
	struct channel *c = arg;
	const void **msgs = NULL;
	size_t *lens = NULL, cap_msgs = 0;
	char *buf = NULL;
	size_t cap = 0;

	grant(c, WINDOW);
	for (;;) {
		MPI_Status st;
		int bytes, ready = 0;
		unsigned idle = 0;
		for (;;) {
			check_mpi(MPI_Iprobe(c->peer, (int)(2 * c->edge),
					     MPI_COMM_WORLD, &ready, &st),
				  "waiting for a batch");
			if (ready)
				break;
			backoff(&idle);
		}
		MPI_Get_count(&st, MPI_BYTE, &bytes);
		if ((size_t)bytes > cap && !(buf = realloc(buf, cap = (size_t)bytes)))
			fail("out of memory");
		check_mpi(MPI_Recv(buf, bytes, MPI_BYTE, c->peer,
				   (int)(2 * c->edge), MPI_COMM_WORLD,
				   MPI_STATUS_IGNORE), "receiving a batch");
		struct batch_header h;
		if ((size_t)bytes < sizeof(h))
			fail("a batch of %d bytes from rank %d", bytes, c->peer);
		memcpy(&h, buf, sizeof(h));
		if (h.flags & FLAG_END)
			break;
		if (h.count > cap_msgs) {
			cap_msgs = h.count;
			msgs = realloc(msgs, cap_msgs * sizeof(*msgs));
			lens = realloc(lens, cap_msgs * sizeof(*lens));
			if (!msgs || !lens)
				fail("out of memory");
		}
		const char *p = buf + sizeof(h), *end = buf + bytes;
		for (uint32_t i = 0; i < h.count; i++) {
			uint32_t len;
			if (end - p < (ptrdiff_t)sizeof(len))
				fail("a cut batch from rank %d", c->peer);
			memcpy(&len, p, sizeof(len));
			p += sizeof(len);
			if ((size_t)(end - p) < len)
				fail("a cut batch from rank %d", c->peer);
			msgs[i] = p;
			lens[i] = len;
			p += len;
		}
		size_t sent = 0;
		rk_error rc = rk_send_batch(tr.rt, c->dest, msgs, lens, h.count,
					    RK_FOREVER, &sent);
		if (rc != RK_OK)
			fail("kernel '%s' takes no more (%s): %s", c->dest,
			     rk_strerror(rc), rk_errmsg());
		grant(c, 1);
	}
	/* The last remote producer of the kernel ends its client input. */
	atomic_int *left = remote_left(c->dest);
	if (left && atomic_fetch_sub(left, 1) == 1
	    && rk_send_end(tr.rt, c->dest, RK_FOREVER) != RK_OK)
		fail("cannot end the input of kernel '%s': %s", c->dest,
		     rk_errmsg());
	free(buf);
	free(msgs);
	free(lens);
	atomic_store(&c->finished, true);
	return NULL;
}

/* ---- the interface -------------------------------------------------- */

static int transport_init(int *rank, int *size, char *why, size_t cap)
{
	int provided;

	if (MPI_Init_thread(NULL, NULL, MPI_THREAD_MULTIPLE, &provided)
	    != MPI_SUCCESS) {
		snprintf(why, cap, "MPI_Init_thread failed");
		return -1;
	}
	if (provided < MPI_THREAD_MULTIPLE) {
		snprintf(why, cap, "this MPI gives no MPI_THREAD_MULTIPLE, "
			 "which the transport needs");
		MPI_Finalize();
		return -1;
	}
	/* Errors come back to check_mpi, which names the rank and what it
	 * was doing, then ends the job. */
	MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
	/* MPI may have put signal handlers of its own in place of the
	 * runtime's: a kernel's fault must still fail that kernel alone. */
	rk_isolate_faults();
	MPI_Comm_rank(MPI_COMM_WORLD, &tr.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &tr.size);
	*rank = tr.rank;
	*size = tr.size;
	return 0;
}

static uint32_t rank_of(rk_topology *t, const char *id)
{
	return rk_topology_rank(t, id);         /* stdin, stdout: 0 */
}

static const rk_type *edge_type(rk_topology *t, const char *from,
				const char *to)
{
	const rk_kernel_desc *d;
	const char *id;

	/* The consumer's input type, which the check made the producer's
	 * output type; stdout takes json (the connection converts). */
	if (strcmp(to, "stdout") == 0)
		return &rk_type_json;
	for (size_t i = 0; (id = rk_topology_kernel(t, i, &d)); i++)
		if (strcmp(id, to) == 0)
			return d->input_type;
	for (size_t i = 0; (id = rk_topology_kernel(t, i, &d)); i++)
		if (strcmp(id, from) == 0)
			return d->output_type;
	return &rk_type_json;
}

static rk_error transport_wire(void *arg, rk_topology *t, rk_runtime *rt)
{
	const rk_launch_options *lo = arg;
	size_t n = rk_topology_edge_count(t);
	uint32_t me = (uint32_t)tr.rank;
	rk_error rc;

	tr.rt = rt;
	tr.topo = t;
	tr.out = calloc(n ? n : 1, sizeof(*tr.out));
	tr.in = calloc(n ? n : 1, sizeof(*tr.in));
	tr.dests = calloc(n ? n : 1, sizeof(*tr.dests));
	tr.dest_left = calloc(n ? n : 1, sizeof(*tr.dest_left));
	if (!tr.out || !tr.in || !tr.dests || !tr.dest_left)
		return RK_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *from, *to;
		rk_topology_edge(t, i, &from, &to);
		uint32_t src = rank_of(t, from), dst = rank_of(t, to);
		if (src == dst)
			continue;
		if (src == me) {
			struct channel *c = &tr.out[tr.n_out++];
			c->edge = i;
			c->peer = (int)dst;
			snprintf(c->exporter_id, sizeof(c->exporter_id),
				 "mpi.edge%zu", i);
			c->desc = (rk_kernel_desc)RK_KERNEL_DESC_INIT;
			c->desc.name = "mpi-export";
			c->desc.description = "sends an edge to another rank";
			c->desc.input_type = edge_type(t, from, to);
			c->desc.params = export_params;
			c->desc.init = export_init;
			c->desc.process_batch = export_batch;
			c->desc.flush = export_end;
			char edge[24];
			snprintf(edge, sizeof(edge), "%zu", i);
			rk_param params[] = { { "edge", edge }, { NULL, NULL } };
			rk_launch_options elo = *lo;
			elo.params = params;
			elo.replicas = 0;
			if ((rc = rk_launch(rt, c->exporter_id, &c->desc, &elo))
			    != RK_OK)
				return rc;
			if (strcmp(from, "stdin") != 0
			    && (rc = rk_connect(rt, from, c->exporter_id)) != RK_OK)
				return rc;
			pthread_mutex_init(&c->lock, NULL);
			pthread_cond_init(&c->changed, NULL);
			c->cap_filling = c->cap_sending = 65536;
			c->filling = malloc(c->cap_filling);
			c->sending = malloc(c->cap_sending);
			if (!c->filling || !c->sending)
				return RK_ENOMEM;
			c->filled = sizeof(struct batch_header);
			if (pthread_create(&c->sender, NULL, sender_main, c) != 0)
				return RK_ENOMEM;
			if ((rc = rk_activate(rt, c->exporter_id)) != RK_OK)
				return rc;
		}
		if (dst == me) {
			struct channel *c = &tr.in[tr.n_in++];
			c->edge = i;
			c->peer = (int)src;
			c->dest = strdup(strcmp(to, "stdout") == 0
					 ? RK_TOPOLOGY_SINK : to);
			if (!c->dest)
				return RK_ENOMEM;
			atomic_int *left = remote_left(c->dest);
			if (!left) {
				tr.dests[tr.n_dests] = c->dest;
				left = &tr.dest_left[tr.n_dests++];
			}
			atomic_fetch_add(left, 1);
			if ((rc = rk_expect_input(rt, c->dest)) != RK_OK)
				return rc;
		}
	}
	return RK_OK;
}

static const char *transport_input_id(const char *kernel)
{
	for (size_t i = 0; i < tr.n_out; i++) {
		const char *from, *to;
		rk_topology_edge(tr.topo, tr.out[i].edge, &from, &to);
		if (strcmp(from, "stdin") == 0 && strcmp(to, kernel) == 0)
			return tr.out[i].exporter_id;
	}
	return kernel;
}

static void transport_start(void)
{
	for (size_t i = 0; i < tr.n_in; i++) {
		if (pthread_create(&tr.in[i].thread, NULL, import_main,
				   &tr.in[i]) != 0)
			fail("cannot start a thread");
		tr.in[i].started = true;
	}
}

static bool all_ended(void)
{
	for (size_t i = 0; i < tr.n_in; i++)
		if (!atomic_load(&tr.in[i].finished))
			return false;
	for (size_t i = 0; i < tr.n_out; i++)
		if (!atomic_load(&tr.out[i].done))
			return false;
	return true;
}

static int transport_finish(bool (*failed)(void *arg), void *arg)
{
	while (!all_ended()) {
		if (failed && failed(arg))
			fail("a kernel failed; ending every rank");
		usleep(10000);
	}
	for (size_t i = 0; i < tr.n_in; i++)
		if (tr.in[i].started)
			pthread_join(tr.in[i].thread, NULL);
	for (size_t i = 0; i < tr.n_out; i++)
		pthread_join(tr.out[i].sender, NULL);
	MPI_Finalize();
	return 0;
}

static void transport_abort(int status, const char *why)
{
	fprintf(stderr, "ringctl: rank %d: %s\n", tr.rank, why);
	MPI_Abort(MPI_COMM_WORLD, status);
}

__attribute__((visibility("default")))
const struct mpi_transport ringctl_mpi_transport = {
	.abi_version = MPI_TRANSPORT_ABI,
	.struct_size = sizeof(struct mpi_transport),
	.init = transport_init,
	.wire = transport_wire,
	.input_id = transport_input_id,
	.start = transport_start,
	.finish = transport_finish,
	.abort = transport_abort,
};
